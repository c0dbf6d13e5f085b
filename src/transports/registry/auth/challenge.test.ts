import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearerChallenge, findChallenge, parseChallenges, type Challenge } from './challenge.ts';

test('parseChallenges: schemes, quoting, commas in quotes, several challenges', () => {
  const cases: [string, Challenge[]][] = [
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      [
        {
          scheme: 'bearer',
          params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' },
        },
      ],
    ],
    [
      'Bearer realm="https://r.example/token",scope="repository:a:pull,push repository:b:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://r.example/token', scope: 'repository:a:pull,push repository:b:pull' } }],
    ],
    ['BEARER Realm=https://r.example/token, Service=reg', [{ scheme: 'bearer', params: { realm: 'https://r.example/token', service: 'reg' } }]],
    [
      'Basic realm="a, b", Bearer realm="https://t.example/", service="s"',
      [
        { scheme: 'basic', params: { realm: 'a, b' } },
        { scheme: 'bearer', params: { realm: 'https://t.example/', service: 's' } },
      ],
    ],
    ['Bearer realm = "x" , error="insufficient_scope"', [{ scheme: 'bearer', params: { realm: 'x', error: 'insufficient_scope' } }]],
    ['Basic realm="say \\"hi\\" \\\\ bye"', [{ scheme: 'basic', params: { realm: 'say "hi" \\ bye' } }]],
    [
      'Negotiate abc+/==, Basic realm="r"',
      [
        { scheme: 'negotiate', params: {}, token68: 'abc+/==' },
        { scheme: 'basic', params: { realm: 'r' } },
      ],
    ],
    ['Negotiate', [{ scheme: 'negotiate', params: {} }]],
    [' , Basic realm="r" ,, ', [{ scheme: 'basic', params: { realm: 'r' } }]],
    ['Basic realm="r", realm="second"', [{ scheme: 'basic', params: { realm: 'r' } }]],
    ['Bearer realm="unterminated', [{ scheme: 'bearer', params: { realm: 'unterminated' } }]],
    ['Basic __proto__="x", realm="r"', [{ scheme: 'basic', params: { realm: 'r' } }]],
    ['', []],
  ];
  for (const [header, expected] of cases) assert.deepEqual(parseChallenges(header), expected, header);
});

test('parseChallenges accepts several header values and undefined', () => {
  assert.deepEqual(parseChallenges(undefined), []);
  assert.deepEqual(
    parseChallenges(['Basic realm="a"', 'Bearer realm="b"']).map((c) => c.scheme),
    ['basic', 'bearer'],
  );
});

test('bearerChallenge and findChallenge pick the right challenge', () => {
  const challenges = parseChallenges(
    'Basic realm="x", Bearer realm="https://t.example/token",service="svc",scope="repository:a:pull  repository:b:push",error="insufficient_scope"',
  );
  assert.equal(findChallenge(challenges, 'BASIC')?.params.realm, 'x');
  assert.deepEqual(bearerChallenge(challenges), {
    realm: 'https://t.example/token',
    service: 'svc',
    scopes: ['repository:a:pull', 'repository:b:push'],
    error: 'insufficient_scope',
  });
  assert.equal(bearerChallenge(parseChallenges('Bearer service="svc"')), undefined, 'no realm, no token flow');
  assert.equal(bearerChallenge(parseChallenges('Basic realm="x"')), undefined);
});
