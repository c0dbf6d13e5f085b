import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../../errors.ts';
import { expandEnv } from './env-expand.ts';

const env = { USER_NAME: 'robot', TOKEN: 's3cr3t', EMPTY: '' };
const origin = { file: 'auth.yaml', line: 4 };

test('${NAME} expands; $$ is a literal $; other $ stay', () => {
  const table: [string, string][] = [
    ['${USER_NAME}', 'robot'],
    ['pre-${TOKEN}-post', 'pre-s3cr3t-post'],
    ['${EMPTY}', ''],
    ['a$$b', 'a$b'],
    ['cost: 5$', 'cost: 5$'],
    ['$TOKEN', '$TOKEN'],
    ['no refs', 'no refs'],
  ];
  for (const [input, expected] of table) assert.equal(expandEnv(input, env, origin), expected, input);
});

test('bare $NAME expands in image-syncer mode', () => {
  assert.equal(expandEnv('$USER_NAME:${TOKEN}', env, origin, { bare: true }), 'robot:s3cr3t');
  assert.equal(expandEnv('$1abc', env, origin, { bare: true }), '$1abc');
});

test('an unset variable is an error naming it and the line, never a value', () => {
  assert.throws(
    () => expandEnv('x${MISSING_ONE}', env, origin),
    (e: unknown) => e instanceof FerryError && e.code === 'INVALID_CONFIG' && e.message === 'auth.yaml:4: environment variable MISSING_ONE is not set',
  );
  assert.throws(() => expandEnv('$MISSING', env, origin, { bare: true }), /MISSING is not set/);
  assert.throws(() => expandEnv('${TOKEN', env, origin), /auth\.yaml:4: malformed variable reference/);
  assert.throws(() => expandEnv('${1X}', env, origin), /malformed variable reference/);
});
