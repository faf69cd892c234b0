/**
 * The loaded config keeps the file's order, however the key files' reads finish: zod settles the
 * entries of a mapping in the order their async parts (the key reads) complete, and services came out
 * "worker, web" for a file listing "web, worker". Here the reads are held and let go in reverse order.
 */
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../../shared/config/types';
import { load, PUBLIC_PEM, validService } from './config-fixtures';

/** A readFile that holds every read until `expected` were asked for, then answers them last one first. */
function reverseOrderReads(expected: number) {
  const pending: { path: string; answer: (text: string) => void }[] = [];
  const asked: string[] = [];
  const readFile = (path: string) =>
    new Promise<string>((answer) => {
      asked.push(path);
      pending.push({ path, answer });
      if (pending.length === expected) for (const read of pending.reverse()) read.answer(PUBLIC_PEM);
    });
  return { readFile, asked };
}

const ecr = (account: string) => `${account}.dkr.ecr.eu-west-1.amazonaws.com`;

async function loadInReverse(names: readonly string[]): Promise<{ config: AppConfig; asked: readonly string[] }> {
  const { readFile, asked } = reverseOrderReads(names.length);
  const services = Object.fromEntries(
    names.map((name, i) => [
      name,
      { ...validService(), cluster: 'prod', service: name, image: `${ecr(String(100000000000 + i))}/team/${name}`, verify: { keys: [`keys/${name}.pub`] } },
    ]),
  );
  const config = await load({ registries: { '127.0.0.1:5000': { insecure: true } }, services }, { readFile });
  return { config, asked };
}

describe('the loaded config', () => {
  it("keeps the file's order of services when their key files are read in reverse order", async () => {
    const names = ['web', 'worker', 'api', 'batch'];
    const { config, asked } = await loadInReverse(names);
    // The reads were asked for in the file's order and answered in reverse.
    expect(asked.map((p) => p.split('/').pop())).toEqual(names.map((n) => `${n}.pub`));
    expect(Object.keys(config.services)).toEqual(names);
    expect(Object.values(config.services).map((s) => s.name)).toEqual(names);
  });

  it("keeps the file's order of registries: the listed ones, then those the services use, in the services' order", async () => {
    const names = ['web', 'worker', 'api'];
    const { config } = await loadInReverse(names);
    expect(Object.keys(config.registries)).toEqual(['127.0.0.1:5000', ...names.map((_, i) => ecr(String(100000000000 + i)))]);
  });
});
