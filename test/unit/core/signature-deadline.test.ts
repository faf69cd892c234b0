import { describe, expect, it } from 'vitest';
import { signatureDeadline, signatureDeadlinePassed, signatureWaitInput } from '../../../shared/core/signature-deadline';
import { secondsUntil } from '../../../shared/core/time';
import type { SignatureInfo } from '../../../shared/core/rollout';

const createdAt = '2026-05-01T10:00:00.000Z';
const pending = { status: 'PENDING' as const, signature: null, createdAt };
const at = (seconds: number) => new Date(Date.parse(createdAt) + seconds * 1000);

describe('late signatures (verify.waitFor)', () => {
  it('puts the deadline waitFor after the rollout was created', () => {
    expect(signatureDeadline(pending, 600).toISOString()).toBe('2026-05-01T10:10:00.000Z');
    expect(secondsUntil(signatureDeadline(pending, 600), at(599.5))).toBe(1);
    expect(secondsUntil(signatureDeadline(pending, 600), at(700))).toBe(0);
  });

  it('has passed only for a PENDING rollout without a signature, at or after the deadline', () => {
    expect(signatureDeadlinePassed(pending, at(599), 600)).toBe(false);
    expect(signatureDeadlinePassed(pending, at(600), 600)).toBe(true);
    expect(signatureDeadlinePassed({ ...pending, signature: {} as SignatureInfo }, at(900), 600)).toBe(false);
    expect(signatureDeadlinePassed({ ...pending, status: 'PROGRESSING' }, at(900), 600)).toBe(false);
  });

  it('turns a missing signature into a rejection once the deadline has passed', () => {
    const missing = { outcome: 'missing' as const, detail: 'no signature at r/team/web:sha256-ab.sig' };
    expect(signatureWaitInput(missing, pending, at(10), 600)).toEqual({ type: 'SignatureMissing', detail: missing.detail });
    expect(signatureWaitInput(missing, pending, at(600), 600)).toEqual({
      type: 'SignatureRejected',
      reason: 'no valid signature within verify.waitFor (10m): no signature at r/team/web:sha256-ab.sig',
    });
    expect(signatureWaitInput({ outcome: 'rejected', reason: 'x' }, pending, at(1), 600)).toEqual({ type: 'SignatureRejected', reason: 'x' });
  });
});
