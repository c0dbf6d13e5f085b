import type { ImageVerification } from '../api/verify-signatures.ts';
import type { SignaturesWritten } from '../signature/signature-session.ts';
import type { SignatureSummary } from '../signature/signed-copy.ts';

const short = (digest: string): string => digest.slice(0, digest.indexOf(':') + 13);

/** One line per manifest that got signatures: what was carried and signed, and where it went. */
export function describeSignaturesWritten(written: readonly SignaturesWritten[]): string[] {
  const lines: string[] = [];
  for (const w of written) {
    const parts: string[] = [];
    if (w.simple > 0) parts.push(`${w.simple} simple signing`);
    if (w.sigstore > 0) parts.push(`${w.sigstore} sigstore`);
    const others = w.attachments.filter((a) => !a.endsWith('.sig')).length;
    if (others > 0) parts.push(`${others} attachment${others === 1 ? '' : 's'}`);
    const carried = parts.length > 0 ? `carried ${parts.join(', ')}` : '';
    const signed = w.signed.length > 0 ? `signed (${w.signed.join(', ')})` : '';
    const what = [carried, signed].filter(Boolean).join('; ');
    if (what === '') continue;
    const where = [...new Set(w.locations)];
    lines.push(`Signatures of ${short(w.digest)}: ${what}${where.length > 0 ? ` → ${where.join(', ')}` : ''}`);
  }
  return lines;
}

/** An image's verdict as text: the image, then each manifest with its signatures. */
export function describeVerification(v: ImageVerification): string[] {
  const lines = [`${v.image}${v.identity ? ` (identity ${v.identity})` : ''}: ${v.allowed ? 'ACCEPTED' : 'REJECTED'}`];
  for (const m of v.manifests) {
    lines.push(`  ${m.digest}${m.platform ? ` (${m.platform})` : ''}: ${m.allowed ? 'accepted' : 'rejected'} by ${m.policy} (${m.scope})`);
    if (m.reason) lines.push(`    reason: ${m.reason}`);
    for (const s of m.signatures) {
      const facts = [s.kind, s.identity ? `identity ${s.identity}` : undefined, s.key ? `key ${s.key}` : undefined].filter(Boolean).join(', ');
      lines.push(`    ${s.verified ? 'verified' : 'not verified'}: ${facts} (${s.location})${s.problem ? ` — ${s.problem}` : ''}`);
    }
    if (m.signatures.length === 0) lines.push('    no signatures found');
  }
  return lines;
}

/** A run's signatures in one clause for its summary line (`; signatures: 3 carried, 2 attachments, 5 images signed`), or ''. */
export function describeRunSignatures(items: ReadonlyArray<{ signatures?: SignatureSummary | undefined }>): string {
  const sum = { carried: 0, attachments: 0, signed: 0 };
  for (const s of items) {
    if (!s.signatures) continue;
    sum.carried += s.signatures.simple + s.signatures.sigstore;
    sum.attachments += s.signatures.attachments;
    sum.signed += s.signatures.signed;
  }
  const parts = [
    sum.carried > 0 ? `${sum.carried} carried` : '',
    sum.attachments > 0 ? `${sum.attachments} attachment${sum.attachments === 1 ? '' : 's'}` : '',
    sum.signed > 0 ? `${sum.signed} manifest${sum.signed === 1 ? '' : 's'} signed` : '',
  ].filter(Boolean);
  return parts.length > 0 ? `; signatures: ${parts.join(', ')}` : '';
}
