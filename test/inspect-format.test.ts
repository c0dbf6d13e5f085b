import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { runSkopeo } from './helpers/skopeo.ts';

/**
 * `ferry inspect --format TEMPLATE` against Debian's docker-registry, with
 * skopeo 1.9 as the judge: for every template skopeo 1.9 can run, ferry
 * prints the same bytes. The functions skopeo 1.9 lacks (`json`, which newer
 * skopeo and podman have) are checked against skopeo's own JSON output.
 */

const skip = requirePeer('docker-registry', 'skopeo');

const LABELS = { 'org.opencontainers.image.version': '1.2.3', 'org.opencontainers.image.title': 'demo <app> & "more"', zz: 'last' };
const store = syntheticStore([
  { name: 'fmt/app', tag: 'v1', layers: [4096, 8192], labels: LABELS },
  { name: 'fmt/app', tag: 'v2', layers: [4096] },
]);

describe('inspect --format', { skip }, () => {
  let registry: RunningRegistry;
  const image = (): string => `docker://${registry.host}/fmt/app:v1`;
  const ferry = (format: string) => runFerry(['inspect', '--tls-verify=false', '--format', format, image()]);
  const skopeo = (format: string) => runSkopeo(['inspect', '--tls-verify=false', '--format', format, image()]);

  before(async () => {
    registry = await startRegistry();
    await seedRegistry(registry.host, store.repository('fmt/app'), ['v1', 'v2']);
  });

  after(async () => {
    await registry?.stop();
  });

  test('prints what skopeo prints for the templates users script', async () => {
    const templates = [
      '{{.Digest}}',
      '{{.Name}}',
      '{{index .Labels "org.opencontainers.image.version"}}',
      '{{index .Labels "no-such-label"}}',
      '{{range .RepoTags}}{{.}} {{end}}',
      'digest={{.Digest}} arch={{.Architecture}} os={{.Os}}',
      '{{.Labels}}',
      '{{.RepoTags}}',
      '{{.Env}}',
      '{{.Created}}',
      '{{.Layers}}',
      '{{len .Layers}} layers',
      '{{range $i, $t := .RepoTags}}{{$i}}:{{$t}};{{end}}',
      '{{if .Labels}}labelled{{else}}plain{{end}}',
      '{{printf "%s@%s" .Name .Digest}}',
      '{{with index .Labels "zz"}}zz={{.}}{{end}}',
      'two lines\n{{.Digest}}\n',
    ];
    for (const template of templates) {
      const [ours, theirs] = await Promise.all([ferry(template), skopeo(template)]);
      assert.equal(theirs.code, 0, `skopeo: ${template}: ${theirs.stderr}`);
      assert.equal(ours.code, 0, `${template}: ${explain(ours)}`);
      assert.equal(ours.stdout, theirs.stdout.toString('utf8'), template);
    }
  });

  test('json encodes as Go does (keys sorted, no HTML escaping) and agrees with skopeo inspect', async () => {
    const full = JSON.parse((await runSkopeo(['inspect', '--tls-verify=false', image()])).stdout.toString('utf8')) as { Labels: Record<string, string>; RepoTags: string[] };
    const labels = await ferry('{{json .Labels}}');
    assert.equal(labels.code, 0, explain(labels));
    assert.deepEqual(JSON.parse(labels.stdout), full.Labels);
    assert.equal(labels.stdout, `{"org.opencontainers.image.title":"demo <app> & \\"more\\"","org.opencontainers.image.version":"1.2.3","zz":"last"}\n`);
    const tags = await ferry('{{json .RepoTags}}');
    assert.deepEqual(JSON.parse(tags.stdout), full.RepoTags);
    const joined = await ferry('{{join .RepoTags ","}}');
    assert.equal(joined.stdout, `${full.RepoTags.join(',')}\n`);
  });

  test('an unsupported construct or a missing field is a usage error naming it', async () => {
    const table: [string, RegExp][] = [
      ['{{template "x"}}', /--format: \{\{template\}\} is not supported in "\{\{template "x"\}\}"/],
      ['{{.Name | title}}', /--format: function "title" is not supported \(supported: .*json.*\)/],
      ['{{.NoSuchField}}', /--format: no field "NoSuchField" \(fields: Name, Digest, RepoTags/],
      ['{{range .RepoTags}}', /--format: \{\{range\}\} has no \{\{end\}\}/],
    ];
    for (const [template, message] of table) {
      const run = await ferry(template);
      assert.equal(run.code, 2, `${template}: ${explain(run)}`);
      assert.match(run.stderr, message, template);
      assert.match(run.stderr, /hint: Go template syntax/);
      assert.equal(run.stdout, '', 'nothing half-printed');
    }
    const both = await runFerry(['inspect', '--tls-verify=false', '--raw', '--format', '{{.Digest}}', image()]);
    assert.equal(both.code, 2, explain(both));
  });
});
