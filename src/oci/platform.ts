import { FerryError } from '../errors.ts';
import type { Platform } from './descriptor.ts';

/** A platform selector from `--platform os/arch[/variant]`. */
export interface PlatformSelector {
  os: string;
  architecture: string;
  variant?: string | undefined;
}

/** Node's `process.arch` → Go's GOARCH, which OCI platforms use (Node on ppc64 is little-endian only). */
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mipsel: 'mipsle' };

/**
 * The platform ferry runs on, in OCI terms (what skopeo picks from an index
 * by default). The arguments exist for tests; callers leave them out.
 */
export function currentPlatform(arch: string = process.arch, platform: string = process.platform): PlatformSelector {
  const architecture = GOARCH[arch] ?? arch;
  const os = platform === 'win32' ? 'windows' : platform;
  return architecture === 'arm' ? { os, architecture, variant: 'v7' } : { os, architecture };
}

export function parsePlatform(value: string): PlatformSelector {
  const parts = value.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new FerryError('USAGE', `invalid platform "${value}": expected os/arch[/variant], e.g. linux/arm64/v8`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** Default variants, so `linux/arm64` matches an entry that says `linux/arm64/v8`. */
const DEFAULT_VARIANT: Record<string, string> = { arm64: 'v8', arm: 'v7' };

/** True when an index entry's platform satisfies a selector (variant only checked when given). */
export function platformMatches(entry: Platform | undefined, want: PlatformSelector): boolean {
  if (!entry) return false;
  if (entry.os !== want.os || entry.architecture !== want.architecture) return false;
  if (want.variant === undefined) return true;
  const have = entry.variant ?? DEFAULT_VARIANT[entry.architecture];
  return have === want.variant;
}
