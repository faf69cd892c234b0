/**
 * The signature verifier's registry reads over the ECR API, for images in Amazon ECR: `BatchGetImage`
 * for manifests (the `.sig` manifest, referrer manifests, the fallback referrers index),
 * `GetDownloadUrlForLayer` for payload and bundle blobs (fetched from the presigned URL and
 * digest-checked), and `ListImageReferrers` for the OCI referrers of an image. The Lambda's IAM role
 * needs `ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer` on the repositories it deploys
 * (`ListImageReferrers` is authorised by `ecr:BatchGetImage`, as the ECR API reference says).
 */
import {
  BatchGetImageCommand,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  ListImageReferrersCommand,
  type ListImageReferrersCommandOutput,
} from '@aws-sdk/client-ecr';
import { RegistryError } from '../../errors';
import { digestOf, isDigest, readLimited } from '../oci-registry/http-body';
import { asDescriptor } from '../oci-registry/referrers';
import { DEFAULT_TIMEOUT_MS, MAX_BLOB_BYTES, type Descriptor, type FetchedManifest, type OciRegistryReader } from '../oci-registry/types';
import { parseEcrHost, type EcrHost } from './ecr-host';
import { sdkClient } from '../sdk-client-defaults';

export interface EcrRegistryClientOptions {
  /** `<account>.dkr.ecr.<region>.amazonaws.com`. */
  readonly host: string;
  /** Default: an ECRClient for the host's region, with the default credential chain. */
  readonly client?: ECRClient;
  /** Fetches presigned layer URLs. Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Budget for one operation. Default 10 s. */
  readonly timeoutMs?: number;
  /** Accept `http:` download URLs. Only for tests against a local stub: ECR hands out HTTPS URLs. Default false. */
  readonly allowInsecureDownloads?: boolean;
}

/** Referrer pages read at most (100 referrers each). */
const MAX_REFERRER_PAGES = 8;

export class EcrRegistryClient implements OciRegistryReader {
  readonly ecrHost: EcrHost;
  private readonly client: ECRClient;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: EcrRegistryClientOptions) {
    const parsed = parseEcrHost(options.host);
    if (!parsed) throw new RegistryError(`${options.host} is not an Amazon ECR registry host`);
    this.ecrHost = parsed;
    this.client = options.client ?? sdkClient(ECRClient, { region: parsed.region, useFipsEndpoint: parsed.fips });
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async getManifest(repository: string, reference: string, accept: readonly string[]): Promise<FetchedManifest | null> {
    const imageId = isDigest(reference) ? { imageDigest: reference } : { imageTag: reference };
    const output = await this.call('BatchGetImage', repository, () =>
      this.client.send(
        new BatchGetImageCommand({ registryId: this.ecrHost.registryId, repositoryName: repository, imageIds: [imageId], acceptedMediaTypes: [...accept] }),
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      ),
    );
    if (output === null) return null;
    const failure = output.failures?.[0];
    if (failure) {
      if (failure.failureCode === 'ImageNotFound') return null;
      throw new RegistryError(`ECR BatchGetImage ${repository}:${reference} failed: ${failure.failureCode ?? 'unknown'} (${failure.failureReason ?? 'no reason'})`);
    }
    const image = output.images?.[0];
    if (!image?.imageManifest) throw new RegistryError(`ECR BatchGetImage ${repository}:${reference} answered no manifest`);
    const body = Buffer.from(image.imageManifest, 'utf8');
    const digest = digestOf(body);
    if (isDigest(reference) && digest !== reference) throw new RegistryError(`manifest ${repository}@${reference} has content with digest ${digest}`);
    const claimed = image.imageId?.imageDigest;
    if (claimed && claimed !== digest) throw new RegistryError(`ECR says manifest ${repository}:${reference} is ${claimed}, its content is ${digest}`);
    let json: unknown;
    try {
      json = JSON.parse(image.imageManifest);
    } catch {
      throw new RegistryError(`manifest ${repository}@${digest} is not JSON`);
    }
    const own = typeof json === 'object' && json !== null ? (json as { mediaType?: unknown }).mediaType : undefined;
    return { digest, mediaType: typeof own === 'string' ? own : (image.imageManifestMediaType ?? ''), body, json };
  }

  async getBlob(repository: string, digest: string, options: { readonly maxBytes?: number } = {}): Promise<Uint8Array | null> {
    if (!isDigest(digest)) throw new RegistryError(`blob digest ${JSON.stringify(digest)} is malformed`);
    const signal = AbortSignal.timeout(this.timeoutMs);
    const output = await this.call('GetDownloadUrlForLayer', repository, () =>
      this.client.send(new GetDownloadUrlForLayerCommand({ registryId: this.ecrHost.registryId, repositoryName: repository, layerDigest: digest }), {
        abortSignal: signal,
      }),
    );
    if (output === null || !output.downloadUrl) return null;
    const url = new URL(output.downloadUrl);
    if (url.protocol !== 'https:' && !(this.options.allowInsecureDownloads && url.protocol === 'http:')) {
      throw new RegistryError(`ECR download URL for ${repository}@${digest} is not HTTPS`);
    }
    let response: Response;
    try {
      // A presigned URL: it carries its own authorisation, and ours must not travel with it.
      response = await this.fetch(url, { signal });
    } catch (error) {
      throw new RegistryError(`downloading ${repository}@${digest} from ${url.host} failed: ${(error as Error).message}`, { cause: error });
    }
    if (response.status === 404) return null;
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new RegistryError(`downloading ${repository}@${digest} from ${url.host} answered ${response.status}`);
    }
    const body = await readLimited(response, options.maxBytes ?? MAX_BLOB_BYTES, `blob ${repository}@${digest}`);
    const actual = digestOf(body, digest);
    if (actual !== digest) throw new RegistryError(`blob ${repository}@${digest} has content with digest ${actual}`);
    return body;
  }

  async listReferrers(repository: string, digest: string, artifactType?: string): Promise<readonly Descriptor[] | null> {
    const found: Descriptor[] = [];
    let nextToken: string | undefined;
    for (let page = 1; page <= MAX_REFERRER_PAGES; page++) {
      const output: ListImageReferrersCommandOutput | null = await this.call('ListImageReferrers', repository, () =>
        this.client.send(
          new ListImageReferrersCommand({
            registryId: this.ecrHost.registryId,
            repositoryName: repository,
            subjectId: { imageDigest: digest },
            ...(artifactType ? { filter: { artifactTypes: [artifactType] } } : {}),
            ...(nextToken ? { nextToken } : {}),
          }),
          { abortSignal: AbortSignal.timeout(this.timeoutMs) },
        ),
      );
      if (output === null) return found;
      for (const referrer of output.referrers ?? []) {
        // Archived referrers are not served by BatchGetImage until restored: skip them.
        if (referrer.artifactStatus && referrer.artifactStatus !== 'ACTIVE') continue;
        const descriptor = asDescriptor(referrer);
        if (descriptor) found.push(descriptor);
      }
      nextToken = output.nextToken;
      if (!nextToken) break;
    }
    return found;
  }

  /**
   * One ECR call. A repository or layer that does not exist answers null (like a registry's 404); any
   * other failure is a RegistryError naming the operation, so the rollout waits instead of deciding.
   */
  private async call<T>(operation: string, repository: string, send: () => Promise<T>): Promise<T | null> {
    try {
      return await send();
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      if (name === 'RepositoryNotFoundException' || name === 'LayersNotFoundException') return null;
      const message = error instanceof Error ? error.message : String(error);
      throw new RegistryError(`ECR ${operation} on ${this.options.host}/${repository} failed: ${name}: ${message}`, { cause: error });
    }
  }
}
