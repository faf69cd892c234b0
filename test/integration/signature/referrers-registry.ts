/**
 * A small OCI registry over HTTP that implements the referrers API (`GET /v2/<name>/referrers/<digest>`,
 * distribution spec 1.1), which Debian's distribution 2.8 does not: enough of the read side for the
 * verifier (manifests, blobs, referrers with the artifactType filter and Link pagination).
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Stored {
  readonly body: Buffer;
  readonly mediaType: string;
  readonly json: { subject?: { digest?: string }; artifactType?: string; annotations?: Record<string, string> };
}

export class ReferrersRegistry {
  private readonly manifests = new Map<string, Stored>();
  private readonly blobs = new Map<string, Buffer>();
  private server: Server | undefined;
  readonly requests: string[] = [];
  host = '';

  /** Referrers per page; a smaller number exercises the Link header. */
  constructor(private readonly pageSize = 1) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.requests.push(`${req.method} ${url.pathname}${url.search}`);
      const match = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(url.pathname);
      if (!match) return void res.writeHead(url.pathname === '/v2/' ? 200 : 404).end();
      const [, name, kind, reference] = match as unknown as [string, string, string, string];
      if (kind === 'blobs') {
        const blob = this.blobs.get(reference);
        return void (blob ? res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(blob) : res.writeHead(404).end());
      }
      if (kind === 'manifests') {
        const stored = this.manifests.get(`${name}@${reference}`);
        if (!stored) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
        return void res.writeHead(200, { 'Content-Type': stored.mediaType, 'Docker-Content-Digest': digestOf(stored.body) }).end(stored.body);
      }
      const artifactType = url.searchParams.get('artifactType');
      const all = [...new Map([...this.manifests].filter(([k, m]) => k.startsWith(`${name}@sha256:`) && m.json.subject?.digest === reference).map(([, m]) => [digestOf(m.body), m])).values()]
        .filter((m) => !artifactType || m.json.artifactType === artifactType)
        .map((m) => ({ mediaType: m.mediaType, digest: digestOf(m.body), size: m.body.length, artifactType: m.json.artifactType, annotations: m.json.annotations }));
      const page = Number(url.searchParams.get('page') ?? 0);
      const slice = all.slice(page * this.pageSize, (page + 1) * this.pageSize);
      const headers: Record<string, string> = { 'Content-Type': 'application/vnd.oci.image.index.v1+json' };
      if (artifactType) headers['OCI-Filters-Applied'] = 'artifactType';
      if ((page + 1) * this.pageSize < all.length) {
        const next = new URLSearchParams(url.searchParams);
        next.set('page', String(page + 1));
        headers['Link'] = `<${url.pathname}?${next.toString()}>; rel="next"`;
      }
      res.writeHead(200, headers).end(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: slice }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  blob(bytes: Uint8Array): string {
    const digest = digestOf(bytes);
    this.blobs.set(digest, Buffer.from(bytes));
    return digest;
  }

  manifest(name: string, json: Record<string, unknown>, tag?: string): string {
    const body = Buffer.from(JSON.stringify(json));
    const stored = { body, mediaType: String(json['mediaType']), json: json as Stored['json'] };
    const digest = digestOf(body);
    this.manifests.set(`${name}@${digest}`, stored);
    if (tag) this.manifests.set(`${name}@${tag}`, stored);
    return digest;
  }
}

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
