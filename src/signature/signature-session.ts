import type { BlobTracker } from '../copy/blob-tracker.ts';
import { FerryError } from '../errors.ts';
import type { Digest } from '../oci/digest.ts';
import type { RawManifest } from '../oci/manifest.ts';
import type { ImageReference } from '../ref/reference.ts';
import type { Repository } from '../repository/repository.ts';
import { carryAttachments } from './carry-attachments.ts';
import { loadRegistriesD } from './lookaside/registries-d.ts';
import { evaluatePolicy, policyDenied, type PolicyDecision } from './policy/policy-evaluate.ts';
import { loadPolicy, type LoadedPolicy } from './policy/policy-file.ts';
import { PolicyKeys } from './policy/policy-keys.ts';
import { policyNameOf } from './policy/policy-name.ts';
import { identityReference } from './policy/policy-scopes.ts';
import { listSignatures } from './signature-listing.ts';
import { signatureCount, type ImageSignatures } from './signature-types.ts';
import { GpgKeyring } from './simple-signing/gpg.ts';
import type { SignatureCheck } from './policy/signature-checks.ts';
import { Signer, type SigningOptions } from './signing.ts';
import { attachmentTag, countSigstoreLayers } from './sigstore/attachment-manifest.ts';
import { attachmentReference, locateSignatures, transportRefOf, type SignatureLocation, type SignatureTarget } from './storage/signature-location.ts';
import { SignatureStorage } from './storage/signature-storage.ts';

/** Everything that decides how images are checked, carried and signed in one run. */
export interface SignatureOptions extends SigningOptions {
  /** `--policy FILE`. */
  policyPath?: string | undefined;
  /** `--insecure-policy`. */
  insecurePolicy?: boolean | undefined;
  /** `--registries.d DIR`. */
  registriesDir?: string | undefined;
  /** `--remove-signatures`: carry no signatures or attachments. */
  removeSignatures?: boolean | undefined;
}

/** What reached the destination for one manifest. */
export interface SignaturesWritten {
  digest: Digest;
  /** Simple signing signatures carried from the source. */
  simple: number;
  /** Cosign signatures carried (merged into an existing `.sig`, or inside a copied one). */
  sigstore: number;
  /** Attachment tags and referrers copied byte for byte. */
  attachments: string[];
  /** Signatures made here: `gpg` and/or `sigstore`. */
  signed: Array<'gpg' | 'sigstore'>;
  /** Where simple signatures and `.sig` manifests went. */
  locations: string[];
  /** Non-fatal notes (tags left as they were at the destination, attachments the destination cannot hold). */
  warnings: string[];
}

/** An image as the policy sees it: where its signatures are read, and which registry identity it has or is judged as. */
export interface JudgedImage {
  source: SignatureTarget;
  /** The registry identity of an image whose transport has none (a store entry's `io.ferry.source`); its scopes stay the transport's. */
  identity?: ImageReference | undefined;
  /** Judge the image as this registry image: its `docker` scopes and identity (a store image as the image it was mirrored from). */
  judgeAs?: ImageReference | undefined;
}

/** How a manifest takes part in a copy, as the copy engine reports it to the policy hook. */
export interface AdmittedManifest {
  manifest: RawManifest;
  /** The destination stores a different manifest in its place (a subset index): its signatures cannot travel. */
  rewritten: boolean;
}

/** What {@link SignatureSession.publish} carries and signs, and where. */
export interface PublishArgs {
  source: SignatureTarget;
  destination: SignatureTarget;
  digests: readonly Digest[];
  signDigests?: readonly Digest[] | undefined;
  tracker?: BlobTracker | undefined;
  /** Puts the image's manifest by digest (once), before signatures go to a registry's signature API. */
  imageFirst?: (() => Promise<void>) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * One run's trust machinery, meant to be shared by every image of the run:
 * the signature policy and registries.d (loaded and validated once), the
 * policy's keys, the signing keys, and caches of signatures read.
 *
 * Per image, callers use it in this order:
 * 1. {@link admit} (or the copy engine's `policy` hook from {@link policyHook})
 *    for each source manifest before any blob is written: evaluates the
 *    policy and refuses with `POLICY_DENIED`;
 * 2. the copy of blobs and manifests;
 * 3. {@link publish} for the manifests written: carries the source's
 *    signatures and attachments (unless `removeSignatures`) and signs
 *    (before the tag that publishes the image, where the storage allows:
 *    see `copySigned`).
 * Then {@link close} once.
 */
export class SignatureSession {
  readonly policy: LoadedPolicy;
  readonly storage: SignatureStorage;
  readonly signer: Signer | undefined;
  readonly removeSignatures: boolean;
  private readonly keys = new PolicyKeys();
  private readonly cache = new Map<string, Promise<ImageSignatures>>();
  private readonly tagLists = new Map<string, Promise<ReadonlySet<string> | undefined>>();
  private emptyKeyring: Promise<GpgKeyring> | undefined;

  private constructor(policy: LoadedPolicy, storage: SignatureStorage, signer: Signer | undefined, removeSignatures: boolean) {
    this.policy = policy;
    this.storage = storage;
    this.signer = signer;
    this.removeSignatures = removeSignatures;
  }

  /**
   * Loads and validates the policy and registries.d and prepares signing keys.
   *
   * @throws FerryError `INVALID_CONFIG` for a malformed policy or registries.d file, a missing key or a wrong passphrase.
   */
  static async open(options: SignatureOptions = {}): Promise<SignatureSession> {
    const [policy, registriesD, signer] = await Promise.all([
      loadPolicy({ path: options.policyPath, insecure: options.insecurePolicy, env: options.env }),
      loadRegistriesD({ dir: options.registriesDir, env: options.env }),
      Signer.prepare(options),
    ]);
    return new SignatureSession(policy, new SignatureStorage(registriesD), signer, options.removeSignatures === true);
  }

  /**
   * The signatures of manifest `digest` at `target`, read once per run.
   * `attachments` false leaves out those kept as attachments (`.sig` tags,
   * bundles) unless they were read already: a copy carries those byte for byte.
   */
  signaturesOf(target: SignatureTarget, digest: Digest, signal?: AbortSignal, attachments = true): Promise<ImageSignatures> {
    const location = locateSignatures(target);
    const key = `${location.target.repository.storageId} ${location.target.repository.repository} ${location.kind === 'layout' ? location.name : ''} ${digest}`;
    const whole = this.cache.get(key);
    if (whole || attachments) {
      let found = whole;
      if (!found) {
        found = this.storage.read(location, digest, signal);
        this.cache.set(key, found);
        found.catch(() => this.cache.delete(key));
      }
      return found;
    }
    let simple = this.cache.get(`${key} simple`);
    if (!simple) {
      simple = this.storage.read(location, digest, signal, false);
      this.cache.set(`${key} simple`, simple);
      simple.catch(() => this.cache.delete(`${key} simple`));
    }
    return simple;
  }

  /**
   * The policy's decision on one manifest of `source`. `identity` gives a
   * registry identity to an image whose transport has none (a layout entry's
   * `io.ferry.source`); `judgeAs` judges it as that registry image instead
   * (its `docker` scopes and identity), with the signatures read from `source`.
   */
  async evaluate(args: JudgedImage & { manifest: RawManifest; signal?: AbortSignal | undefined }): Promise<PolicyDecision> {
    const name = args.judgeAs !== undefined
      ? await policyNameOf({ transport: 'docker', ref: args.judgeAs })
      : await policyNameOf(transportRefOf(args.source), { identity: args.identity });
    return evaluatePolicy(this.policy, this.keys, {
      name,
      display: args.source.display,
      manifest: args.manifest,
      signatures: () => this.signaturesOf(args.source, args.manifest.digest, args.signal),
      signal: args.signal,
    });
  }

  /**
   * The decision on one manifest plus every signature found for it: judged by
   * the policy where a requirement applies, else what it claims (unverified).
   */
  async inspect(args: JudgedImage & { manifest: RawManifest; signal?: AbortSignal | undefined }): Promise<{ decision: PolicyDecision; signatures: SignatureCheck[] }> {
    const decision = await this.evaluate(args);
    const found = await this.signaturesOf(args.source, args.manifest.digest, args.signal);
    this.emptyKeyring ??= GpgKeyring.create([]);
    const signatures = await listSignatures(found, decision.signatures, () => this.emptyKeyring!, args.signal);
    return { decision, signatures };
  }

  /**
   * Decides whether `manifest` of `source` may be copied to `destination`,
   * before any of it is written: the policy, then (unless signatures are
   * removed) whether the destination can hold the signatures it has.
   *
   * @throws FerryError `POLICY_DENIED` naming the requirement that failed; `UNSUPPORTED` when signatures cannot travel.
   */
  async admit(args: JudgedImage & { destination: SignatureTarget; manifest: RawManifest; rewritten?: boolean | undefined; signal?: AbortSignal | undefined }): Promise<PolicyDecision> {
    const decision = await this.evaluate(args);
    if (!decision.allowed) throw policyDenied(decision);
    if (this.removeSignatures) return decision;
    const destination = locateSignatures(args.destination);
    // Only a new index or a destination without signatures can lose them; otherwise nothing needs reading here.
    if (!args.rewritten && destination.kind !== 'none') return decision;
    const found = await this.signaturesOf(args.source, args.manifest.digest, args.signal);
    if (signatureCount(found) === 0) return decision;
    const where = `${args.source.display}@${args.manifest.digest}`;
    if (args.rewritten) {
      throw new FerryError('UNSUPPORTED', `${where} is signed, and copying part of it writes a new index whose digest its signatures do not name`, {
        hint: 'copy every instance with --all, or drop the signatures with --remove-signatures',
      });
    }
    if (destination.kind === 'none' && found.simple.length + found.sigstore.length > 0) {
      throw new FerryError('UNSUPPORTED', `${where} is signed, and ${args.destination.display} cannot store signatures`, {
        hint: 'copy with --remove-signatures, or to a registry, oci: or dir: destination',
      });
    }
    return decision;
  }

  /** A `policy` hook for the copy engine that admits each manifest and records it for {@link publish}. */
  policyHook(source: SignatureTarget, destination: SignatureTarget, admitted: AdmittedManifest[], judged: Omit<JudgedImage, 'source'> = {}) {
    return async (check: { manifest: RawManifest; rewritten: boolean; signal?: AbortSignal | undefined }): Promise<void> => {
      await this.admit({ ...judged, source, destination, manifest: check.manifest, rewritten: check.rewritten, signal: check.signal });
      admitted.push({ manifest: check.manifest, rewritten: check.rewritten });
    };
  }

  /**
   * For a copy: for each manifest `digests` names (written unchanged),
   * carries the source's signatures and attachments to the destination
   * (unless signatures are removed), then signs every manifest in
   * `signDigests` (default: `digests`) when signing was asked for.
   * `imageFirst` runs before a registry's signature API is written to.
   */
  async publish(args: PublishArgs): Promise<SignaturesWritten[]> {
    const source = locateSignatures(args.source);
    const destination = locateSignatures(args.destination);
    const out = new Map<Digest, SignaturesWritten>();
    const entry = (digest: Digest): SignaturesWritten => {
      let e = out.get(digest);
      if (!e) {
        e = { digest, simple: 0, sigstore: 0, attachments: [], signed: [], locations: [], warnings: [] };
        out.set(digest, e);
      }
      return e;
    };
    if (!this.removeSignatures) {
      for (const digest of args.digests) await this.carry(source, destination, digest, entry(digest), args);
    }
    if (this.signer !== undefined) {
      for (const digest of args.signDigests ?? args.digests) await this.sign(destination, digest, entry(digest), args);
    }
    return [...out.values()];
  }

  private async carry(source: SignatureLocation, destination: SignatureLocation, digest: Digest, e: SignaturesWritten, args: PublishArgs): Promise<void> {
    const { signal } = args;
    const attachmentsMove = (source.kind === 'registry' || source.kind === 'layout') && (destination.kind === 'registry' || destination.kind === 'layout') && this.storage.usesAttachments(destination);
    // Attachments that move byte for byte need not be read first (their blobs would cross twice).
    const found = await this.signaturesOf(source.target, digest, signal, !attachmentsMove);
    if (found.simple.length > 0) {
      e.locations.push(await this.storage.writeSimple(destination, digest, found.simple.map((s) => s.blob), signal, args.imageFirst));
      e.simple = found.simple.length;
    }
    if (attachmentsMove) {
      const carried = await carryAttachments(source, destination, digest, { tracker: args.tracker, sourceTags: await this.sourceTags(source, signal), signal });
      e.attachments.push(...carried.copied);
      const sigTag = attachmentReference(destination, attachmentTag(digest, '.sig'));
      const sigKept = carried.kept.some((k) => k.endsWith(`:${sigTag}`));
      if (carried.copied.includes(sigTag)) e.sigstore = await countSigstoreLayers(destination.target.repository, sigTag, signal);
      for (const kept of carried.kept.filter((k) => !k.endsWith(`:${sigTag}`))) e.warnings.push(`${kept} already exists with other content; left as it is`);
      const sigstore = sigKept ? (await this.signaturesOf(source.target, digest, signal)).sigstore : [];
      if (sigstore.length > 0) {
        e.locations.push(await this.storage.writeSigstore(destination, digest, sigstore, signal));
        e.sigstore = sigstore.length;
      }
    } else if (found.sigstore.length > 0) {
      if (this.storage.canStore(destination, 'sigstore')) {
        e.locations.push(await this.storage.writeSigstore(destination, digest, found.sigstore, signal));
        e.sigstore = found.sigstore.length;
      } else {
        e.warnings.push(`${found.sigstore.length} sigstore signature(s) of ${digest} not written: use-sigstore-attachments is false for ${destination.target.display}`);
      }
    }
  }

  /**
   * A source repository's tags as the run listed them already (a sync lists
   * them to pick its images): finding attachments then asks for no second
   * listing. The first listing of a repository in a run is the one kept.
   */
  knowTags(repository: Pick<Repository, 'storageId' | 'repository'>, tags: readonly string[]): void {
    const key = tagListKey(repository);
    if (!this.tagLists.has(key)) this.tagLists.set(key, Promise.resolve(new Set(tags)));
  }

  /**
   * The tags (ref names, for a layout) of a registry or layout source's
   * repository, listed once per run (so an attachment pushed to the source
   * during the run may be missed, as with any listing); undefined for other
   * sources, or when listing fails, and then each attachment tag is asked for
   * on its own.
   */
  private sourceTags(source: SignatureLocation, signal: AbortSignal | undefined): Promise<ReadonlySet<string> | undefined> | undefined {
    if (source.kind !== 'registry' && source.kind !== 'layout') return undefined;
    const repository = source.target.repository;
    const key = tagListKey(repository);
    let tags = this.tagLists.get(key);
    if (!tags) {
      tags = repository.tagList({ signal }).then(
        (list) => new Set(list),
        () => undefined,
      );
      this.tagLists.set(key, tags);
    }
    return tags;
  }

  private async sign(destination: SignatureLocation, digest: Digest, e: SignaturesWritten, args: PublishArgs): Promise<void> {
    const { signal } = args;
    const signer = this.signer!;
    const own = destination.kind === 'registry' ? identityReference(destination.reference) : undefined;
    const identity = signer.identityFor(own, destination.target.display);
    const gpg = await signer.gpg(digest, identity, signal);
    if (gpg !== undefined) {
      e.locations.push(await this.storage.writeSimple(destination, digest, [gpg], signal, args.imageFirst));
      e.signed.push('gpg');
    }
    const sigstore = signer.sigstore(digest, identity);
    if (sigstore !== undefined) {
      e.locations.push(await this.storage.writeSigstore(destination, digest, [sigstore], signal));
      e.signed.push('sigstore');
    }
  }

  /** Checks, before copying, that signing `destination` is possible: it can hold signatures and has an identity (or --sign-identity was given). */
  checkCanSign(destination: SignatureTarget): void {
    if (this.signer === undefined) return;
    const location = locateSignatures(destination);
    if (location.kind === 'none') {
      throw new FerryError('UNSUPPORTED', `cannot sign ${destination.display}: it cannot store signatures`, { hint: 'sign when copying to a registry, oci: or dir: destination' });
    }
    this.signer.identityFor(location.kind === 'registry' ? location.reference : undefined, destination.display);
    if (this.signer.signsSigstore && !this.storage.canStore(location, 'sigstore')) {
      throw new FerryError('INVALID_CONFIG', `cannot write a sigstore signature to ${destination.display}: use-sigstore-attachments is false for it in registries.d`, {
        hint: 'enable use-sigstore-attachments for this registry, or drop --sign-by-sigstore-private-key',
      });
    }
  }

  /** Removes temporary keyrings. */
  async close(): Promise<void> {
    await this.keys.dispose();
    const empty = await this.emptyKeyring?.catch(() => undefined);
    await empty?.dispose();
  }
}

/** One repository of one storage, as the run's tag listings are kept. */
function tagListKey(repository: Pick<Repository, 'storageId' | 'repository'>): string {
  return `${repository.storageId} ${repository.repository}`;
}
