import { resolve } from 'node:path';
import type { OpenSession } from '../../repository/open-session.ts';
import type { Opener } from '../../repository/opener.ts';
import { layoutNaming } from './layout-naming.ts';
import { layoutRepository } from './layout-repository.ts';
import { openLayoutStore, type LayoutStore } from './layout-store.ts';

/**
 * The layout store at `path`, opened once per session (without one, opened
 * now). A destination layout is created on first use; a source must exist.
 */
export function openSessionLayout(path: string, options: { role: 'source' | 'destination'; session?: OpenSession | undefined; signal?: AbortSignal | undefined }): Promise<LayoutStore> {
  const dir = resolve(path);
  const open = () => openLayoutStore(dir, { create: options.role === 'destination', signal: options.signal });
  return options.session ? options.session.shared(`oci:${dir}`, open) : open();
}

/** Opens `oci:PATH[:NAME]` (see {@link openSessionLayout}). */
export const openLayout: Opener<'oci'> = async (ref, options) => {
  const store = await openSessionLayout(ref.path, options);
  return { repository: layoutRepository(store, ''), reference: ref.name, display: layoutNaming.display(ref) };
};
