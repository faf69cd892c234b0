/**
 * Builds a tiny, distinct OCI image with umoci and pushes it with skopeo: the same tools and wire
 * protocol as a CI pipeline, without a container daemon.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BuildAndPushOptions {
  /** `host[:port]` of the registry. */
  readonly host: string;
  readonly repository: string;
  readonly tag: string;
  /** Written into a label, an env var and a file, so each label gives a distinct digest. */
  readonly label: string;
  /** Plain HTTP and no TLS verification. Default true: these registries run on loopback. */
  readonly insecure?: boolean;
  /** `user:password` for the registry, when it needs them. */
  readonly credentials?: string;
}

export interface PushedImage {
  /** `host/repository:tag`. */
  readonly reference: string;
  /** `sha256:<hex>` of the pushed manifest. */
  readonly digest: string;
}

/** Anything goes: skopeo insists on a signature policy file and the system one may be missing or strict. */
const PERMISSIVE_POLICY = JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] });

export async function buildAndPushImage(options: BuildAndPushOptions): Promise<PushedImage> {
  const dir = await mkdtemp(join(tmpdir(), 'oci-image-'));
  try {
    const layout = join(dir, 'layout');
    const image = `${layout}:${options.tag}`;
    await run('umoci', ['init', '--layout', layout]);
    await run('umoci', ['new', '--image', image]);
    await run('umoci', [
      'config',
      '--image',
      image,
      '--config.label',
      `org.opencontainers.image.description=${options.label}`,
      '--config.env',
      `IMAGE_LABEL=${options.label}`,
      '--config.cmd',
      '/bin/true',
    ]);
    const file = join(dir, 'label.txt');
    await writeFile(file, `${options.label}\n`);
    await run('umoci', ['insert', '--image', image, file, '/label.txt']);

    const policy = join(dir, 'policy.json');
    const digestFile = join(dir, 'digest');
    await writeFile(policy, PERMISSIVE_POLICY);
    const reference = `${options.host}/${options.repository}:${options.tag}`;
    const insecure = options.insecure ?? true;
    await run('skopeo', [
      '--policy',
      policy,
      'copy',
      '--quiet',
      `--dest-tls-verify=${insecure ? 'false' : 'true'}`,
      ...(options.credentials ? ['--dest-creds', options.credentials] : ['--dest-no-creds']),
      '--digestfile',
      digestFile,
      `oci:${image}`,
      `docker://${reference}`,
    ]);
    const digest = (await readFile(digestFile, 'utf8')).trim();
    if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`skopeo wrote an unexpected digest: ${digest}`);
    return { reference, digest };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const INSTALL_HINT: Readonly<Record<string, string>> = {
  umoci: 'apt-get install -y umoci',
  skopeo: 'apt-get install -y skopeo',
};

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 60_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new Error(`${command} is not installed: \`${INSTALL_HINT[command] ?? `install ${command}`}\``));
      }
      reject(new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || error.message}`, { cause: error }));
    });
  });
}
