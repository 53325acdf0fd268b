import { describe, expect, it } from '@jest/globals';
import { AppError } from '@tasuki/platform';
import { assertWebhookSecret, assertWebhookUrl, generateWebhookSecret, secretHint } from './webhook.model.js';

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof AppError ? { code: err.code, field: err.field } : err;
  }
  return null;
};

describe('webhook URL and secret', () => {
  it('requires https in production and allows http elsewhere, for local receivers', () => {
    expect(assertWebhookUrl('url', 'https://hooks.example.jp/tasuki', { production: true })).toBe(
      'https://hooks.example.jp/tasuki',
    );
    expect(refusal(() => assertWebhookUrl('url', 'http://hooks.example.jp/tasuki', { production: true }))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'url',
    });
    expect(assertWebhookUrl('url', ' http://127.0.0.1:8080/h?x=1 ', { production: false })).toBe(
      'http://127.0.0.1:8080/h?x=1',
    );
  });

  it('refuses other schemes, credentials, fragments, relative and overlong URLs, naming the field', () => {
    const bad = [
      'ftp://hooks.example.jp/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'https://user@hooks.example.jp/',
      'https://user:pw@hooks.example.jp/',
      'https://hooks.example.jp/#x',
      'https://hooks.example.jp/#',
      '/relative',
      'https://',
      `https://hooks.example.jp/${'a'.repeat(1980)}`,
      'https://hooks.example.jp/\u202Eevil',
    ];
    for (const url of bad) {
      expect({ url, refused: refusal(() => assertWebhookUrl('url', url, { production: false })) }).toEqual({
        url,
        refused: { code: 'BAD_USER_INPUT', field: 'url' },
      });
    }
  });

  it('accepts a chosen secret of 32 to 200 printable characters and generates 256-bit ones', () => {
    expect(assertWebhookSecret('secret', 'x'.repeat(32))).toBe('x'.repeat(32));
    for (const secret of [
      'x'.repeat(31),
      'x'.repeat(201),
      `${'x'.repeat(32)} y`,
      `${'x'.repeat(32)}\n`,
      `${'ｘ'.repeat(40)}`,
    ]) {
      expect(refusal(() => assertWebhookSecret('secret', secret))).toEqual({ code: 'BAD_USER_INPUT', field: 'secret' });
    }
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateWebhookSecret()).not.toBe(a);
    expect(assertWebhookSecret('secret', a)).toBe(a);
    expect(secretHint(a)).toBe(a.slice(-4));
  });
});
