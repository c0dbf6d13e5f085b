import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDACTED, redactHeaders, redactSecrets, redactUrl } from './redact.ts';

test('redactUrl drops user info, fragments and secret query values, keeping the rest as encoded', () => {
  const cases: [string, string][] = [
    ['https://user:pa55@registry.example/v2/', 'https://registry.example/v2/'],
    ['https://registry.example/v2/ns/app/blobs/sha256:ab', 'https://registry.example/v2/ns/app/blobs/sha256:ab'],
    ['https://auth.example/token?service=reg&scope=repository%3Ans%2Fapp%3Apull', 'https://auth.example/token?service=reg&scope=repository%3Ans%2Fapp%3Apull'],
    ['https://auth.example/token?access_token=abc&x=1', `https://auth.example/token?access_token=${REDACTED}&x=1`],
    [
      'https://bucket.s3.amazonaws.com/blob?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F1&X-Amz-Signature=deadbeef&X-Amz-Security-Token=tok',
      `https://bucket.s3.amazonaws.com/blob?X-Amz-Algorithm=AWS4&X-Amz-Credential=${REDACTED}&X-Amz-Signature=${REDACTED}&X-Amz-Security-Token=${REDACTED}`,
    ],
    ['https://acct.blob.core.windows.net/c/b?sv=2020&sig=abc%3D&se=2030', `https://acct.blob.core.windows.net/c/b?sv=2020&sig=${REDACTED}&se=2030`],
    ['https://cdn.example/b?Expires=1&Signature=xyz&Key-Pair-Id=K', `https://cdn.example/b?Expires=1&Signature=${REDACTED}&Key-Pair-Id=${REDACTED}`],
    ['https://x.example/p?TOKEN=a&token=b', `https://x.example/p?TOKEN=${REDACTED}&token=${REDACTED}`],
    ['https://x.example/p#access_token=abc', 'https://x.example/p'],
    ['https://x.example/p?flag', 'https://x.example/p?flag'],
    ['not a url //user:secret@host/x', 'not a url //host/x'],
  ];
  for (const [input, expected] of cases) assert.equal(redactUrl(input), expected, input);
  assert.equal(redactUrl(new URL('http://u:p@h:5000/a?password=x')), `http://h:5000/a?password=${REDACTED}`);
});

test('redactHeaders replaces credential headers in every header shape', () => {
  const record = redactHeaders({
    Authorization: 'Bearer abc',
    'proxy-authorization': 'Basic xyz',
    Cookie: 'a=b',
    'set-cookie': ['a=b', 'c=d'],
    'X-Registry-Auth': 'e30=',
    accept: 'application/json',
    'content-length': 5,
    skipped: undefined,
  });
  assert.deepEqual(record, {
    Authorization: REDACTED,
    'proxy-authorization': REDACTED,
    Cookie: REDACTED,
    'set-cookie': REDACTED,
    'X-Registry-Auth': REDACTED,
    accept: 'application/json',
    'content-length': '5',
  });
  const headers = new Headers({ authorization: 'Bearer abc', 'user-agent': 'ferry' });
  assert.deepEqual(redactHeaders(headers), { authorization: REDACTED, 'user-agent': 'ferry' });
  assert.deepEqual(
    redactHeaders([
      ['Cookie', 'a'],
      ['Cookie', 'b'],
      ['Accept', 'x'],
      ['Accept', 'y'],
    ]),
    { Cookie: REDACTED, Accept: ['x', 'y'] },
  );
});

test('redactSecrets removes a secret and its base64 and URL encodings', () => {
  const secret = 'p@ss word';
  const text = `raw ${secret} b64 ${Buffer.from(secret).toString('base64')} url ${encodeURIComponent(secret)}`;
  const out = redactSecrets(text, [secret, undefined, 'ab']);
  assert.equal(out, `raw ${REDACTED} b64 ${REDACTED} url ${REDACTED}`);
  assert.equal(redactSecrets('a cab', ['ab']), 'a cab', 'very short strings are left alone');
});
