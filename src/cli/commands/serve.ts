import { Option } from '@commander-js/extra-typings';
import type { SignatureVerifier } from '../../server/ui/signature-verifier.ts';
import type { SignatureOptions } from '../../signature/signature-session.ts';
import type { CommandModule } from '../context.ts';
import { parseBool } from '../registry-flags.ts';
import { signatureOptionsFrom } from '../signature-flags.ts';

/**
 * Judges a tagged image of the served store against the signature policy,
 * as `ferry verify-signatures oci:STORE:REPO:TAG` would (one policy session
 * for the server's life). An image stored by digest alone has no name to judge.
 */
async function storeVerifier(storage: string, options: SignatureOptions): Promise<{ verify: SignatureVerifier; close: () => Promise<void> }> {
  const { verifySignatures } = await import('../../api/verify-signatures.ts');
  const { SignatureSession } = await import('../../signature/signature-session.ts');
  const session = await SignatureSession.open(options);
  const verify: SignatureVerifier = async (image, { signal }) => {
    if (image.tag === undefined) return { verified: false, reason: 'stored by digest only: no name to verify' };
    const [result] = await verifySignatures(`oci:${storage}:${image.repository}:${image.tag}`, { signatures: session, signal });
    if (!result) return { verified: false, reason: 'not found in the store' };
    const refused = result.manifests.find((m) => !m.allowed);
    return result.allowed
      ? { verified: true, reason: `accepted by the policy (${result.manifests[0]?.policy ?? 'policy'})` }
      : { verified: false, reason: refused?.reason ?? 'rejected by the policy' };
  };
  // The session's temporary keyrings go when the server stops.
  return { verify, close: () => session.close() };
}

export const serveCommand: CommandModule = (program, ctx) => {
  program
    .command('serve')
    .description('Serve an OCI layout store (a mirror store, `sync --dest oci`, bundle imports) as an OCI distribution registry')
    .option('--addr <HOST:PORT>', 'address to listen on', '127.0.0.1:5000')
    .option('--storage <DIR>', 'the store to serve; created when missing or empty (default: $XDG_DATA_HOME/ferry/registry)')
    .option('--read-only', 'refuse every write (405 UNSUPPORTED)')
    .option('--enable-delete', 'allow blob DELETE (off by default, as in distribution); manifest and tag DELETE need only a writable server')
    .option('--htpasswd <FILE>', 'require Basic auth against bcrypt entries (htpasswd -B)')
    .option('--tls-cert <FILE>', 'serve HTTPS with this certificate (with --tls-key)')
    .option('--tls-key <FILE>', 'private key for --tls-cert')
    .option('--lookaside', "also serve the store's GPG signatures as a lookaside at /sigstore/ (registries.d: lookaside: http://HOST:PORT/sigstore)")
    .addOption(new Option('--log-format <FORMAT>', 'access log format').choices(['text', 'json'] as const).default('text' as const))
    .option('--metrics', 'serve Prometheus metrics at /metrics: request counts, latencies, bytes served (behind --htpasswd too)')
    .addOption(new Option('--ui [BOOL]', 'serve the web UI at / (--ui=false turns it off)').argParser(parseBool('--ui')).default(true))
    .action(async (opts, command) => {
      // SIGINT/SIGTERM stop the server after the requests in flight: a normal end.
      ctx.endsOnSignal();
      const { startServer, defaultStorageDir } = await import('../../server/index.ts');
      const { readBundleHistoryAt } = await import('../../mirror/bundle/bundle-history.ts');
      const { readLayoutSignatures } = await import('../../signature/storage/layout-signatures.ts');
      const storage = opts.storage ?? defaultStorageDir();
      const ui = opts.ui !== false;
      const lookaside = opts.lookaside === true;
      const signatures = signatureOptionsFrom(command.optsWithGlobals());
      // Only a policy given on the command line judges the UI's signatures; without one it shows what is present.
      const verifier = ui && signatures.policyPath !== undefined ? await storeVerifier(storage, signatures) : undefined;
      const server = await startServer({
        addr: opts.addr,
        storage,
        readOnly: opts.readOnly === true,
        enableDelete: opts.enableDelete === true,
        htpasswd: opts.htpasswd,
        tlsCert: opts.tlsCert,
        tlsKey: opts.tlsKey,
        logFormat: opts.logFormat,
        ui,
        metrics: opts.metrics === true,
        // The store's bundle-import record, for the UI's Bundles page (the server layer does not read mirror files).
        imports: { list: (options) => readBundleHistoryAt(storage, options) },
        signatureVerifier: verifier?.verify,
        signatures: lookaside ? { simpleSignatures: async (digest) => (await readLayoutSignatures(storage, digest)).map((s) => s.blob) } : undefined,
        signal: ctx.signal,
        onLog: (line) => void process.stderr.write(`${line}\n`),
      });
      ctx.output.info(`ferry serve: ${storage} at ${server.url}${opts.readOnly ? ' (read-only)' : ''}${ui ? `, web UI at ${server.url}/` : ''}${lookaside ? `, GPG signatures at ${server.url}/sigstore` : ''}${opts.metrics === true ? `, metrics at ${server.url}/metrics` : ''}; Ctrl-C stops`);
      await server.closed;
      await verifier?.close();
      ctx.output.info('ferry serve: stopped');
    });
};
