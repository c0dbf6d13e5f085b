import { html, type Html } from '../html.ts';

/** Where the commands point: this registry's address as the browser reached it, and whether it speaks TLS. */
export interface RegistryAddress {
  host: string;
  tls: boolean;
}

/** The last path element of a repository, as a local directory name. */
function localName(repository: string): string {
  return repository.slice(repository.lastIndexOf('/') + 1);
}

/**
 * Ready-to-run lines that pull `repository` at `reference` (`:tag` or
 * `@digest`) from this registry with skopeo, ferry and podman. Over plain
 * HTTP each carries its tool's TLS-off flag, or the pull would fail.
 */
export function pullCommands(address: RegistryAddress, repository: string, reference: string): string[] {
  const image = `${address.host}/${repository}${reference}`;
  const insecure = (flag: string): string => (address.tls ? '' : `${flag}=false `);
  const local = `oci:./${localName(repository)}:${reference.startsWith(':') ? reference.slice(1) : 'image'}`;
  return [
    `skopeo copy --all ${insecure('--src-tls-verify')}docker://${image} ${local}`,
    `ferry copy --all ${insecure('--src-tls-verify')}docker://${image} ${local}`,
    `podman pull ${insecure('--tls-verify')}${image}`,
  ];
}

/** A copy button the script reveals (hidden without JavaScript, where the text is selectable instead). */
export function copyButton(text: string, label: string): Html {
  return html`<button type="button" class="copy" data-copy="${text}" aria-label="${label}" hidden>Copy</button>`;
}

/** The commands as a list, each with its copy button. */
export function commandList(commands: readonly string[]): Html {
  return html`<ul class="commands">${commands.map((c) => html`<li><code>${c}</code>${copyButton(c, `Copy the ${c.split(" ")[0]} command`)}</li>`)}</ul>`;
}
