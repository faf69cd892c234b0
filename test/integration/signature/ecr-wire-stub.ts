/**
 * Amazon ECR's API on the AWS JSON 1.1 wire (`POST /`, `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Op>`),
 * for the operations the signature verifier uses, answering with the response shapes ECR records in its
 * API reference (BatchGetImage `images`/`failures`, GetDownloadUrlForLayer `downloadUrl` to a presigned
 * S3 URL, ListImageReferrers `referrers` with `artifactStatus`), plus the "S3" that serves the layers.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const TARGET = 'AmazonEC2ContainerRegistry_V20150921.';

interface Image {
  readonly manifest: string;
  readonly mediaType: string;
  readonly digest: string;
  readonly json: { subject?: { digest?: string }; artifactType?: string; annotations?: Record<string, string> };
}

export class EcrWireStub {
  private readonly images = new Map<string, Image>();
  private readonly layers = new Map<string, Buffer>();
  private server: Server | undefined;
  /** `Operation repository` per call, in order. */
  readonly calls: string[] = [];
  /** Operations answered with AccessDeniedException, to test failures. */
  readonly denied = new Set<string>();
  endpoint = '';
  /**
   * Where the presigned layer URLs point (default: this stub over http). ECR hands out https URLs to S3,
   * and the ECR client refuses others; a test that cannot pass `allowInsecureDownloads` gives an https
   * origin here and routes it to `endpoint` itself.
   */
  downloadOrigin = '';

  constructor(readonly registryId = '123456789012') {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  layer(bytes: Uint8Array): string {
    const digest = sha256(bytes);
    this.layers.set(digest, Buffer.from(bytes));
    return digest;
  }

  image(repository: string, json: Record<string, unknown>, tag?: string): string {
    const manifest = JSON.stringify(json);
    const image = { manifest, mediaType: String(json['mediaType']), digest: sha256(Buffer.from(manifest)), json: json as Image['json'] };
    this.images.set(`${repository}@${image.digest}`, image);
    if (tag) this.images.set(`${repository}:${tag}`, image);
    return image.digest;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'GET' && req.url?.startsWith('/s3/')) {
      const layer = this.layers.get(decodeURIComponent(req.url.slice(4).split('?')[0]!));
      return void (layer ? res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(layer) : res.writeHead(404).end());
    }
    const operation = String(req.headers['x-amz-target'] ?? '').replace(TARGET, '');
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, any>;
    this.calls.push(`${operation} ${String(input['repositoryName'])}`);
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
    const error = (type: string, message: string) => reply(400, { __type: type, message });
    if (this.denied.has(operation)) return void error('AccessDeniedException', `User is not authorized to perform: ecr:${operation}`);
    const repository = String(input['repositoryName']);
    if (![...this.images.keys()].some((k) => k.startsWith(`${repository}@`))) {
      return void error('RepositoryNotFoundException', `The repository with name '${repository}' does not exist in the registry with id '${this.registryId}'`);
    }
    switch (operation) {
      case 'BatchGetImage': {
        const images: unknown[] = [];
        const failures: unknown[] = [];
        for (const id of input['imageIds'] as { imageDigest?: string; imageTag?: string }[]) {
          const image = this.images.get(id.imageDigest ? `${repository}@${id.imageDigest}` : `${repository}:${id.imageTag}`);
          if (!image) failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
          else images.push({ registryId: this.registryId, repositoryName: repository, imageId: { imageDigest: image.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) }, imageManifest: image.manifest, imageManifestMediaType: image.mediaType });
        }
        return void reply(200, { images, failures });
      }
      case 'GetDownloadUrlForLayer': {
        const digest = String(input['layerDigest']);
        if (!this.layers.has(digest)) return void error('LayersNotFoundException', `The specified layers ${digest} could not be found`);
        return void reply(200, { downloadUrl: `${this.downloadOrigin || this.endpoint}/s3/${encodeURIComponent(digest)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00`, layerDigest: digest });
      }
      case 'ListImageReferrers': {
        const subject = String(input['subjectId']?.imageDigest);
        const types = (input['filter']?.artifactTypes as string[] | undefined) ?? null;
        const referrers = [...new Map([...this.images].filter(([k, i]) => k.startsWith(`${repository}@`) && i.json.subject?.digest === subject).map(([, i]) => [i.digest, i])).values()]
          .filter((i) => !types || types.includes(i.json.artifactType ?? ''))
          .map((i) => ({ digest: i.digest, mediaType: i.mediaType, artifactType: i.json.artifactType, size: i.manifest.length, annotations: i.json.annotations ?? {}, artifactStatus: 'ACTIVE' }));
        return void reply(200, { referrers });
      }
      default:
        return void error('UnknownOperationException', `Unknown operation ${operation}`);
    }
  }
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
