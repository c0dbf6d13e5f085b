import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFerryError } from '../errors.ts';
import { renderGoTemplate } from './go-template.ts';
import { GoNil, GoTime, goJson, goPrint } from './go-values.ts';

/** Expected outputs are what Go's text/template prints for the same data (checked against skopeo where it has the field). */

const data = {
  Name: 'reg.example/app',
  Digest: 'sha256:abc',
  RepoTags: ['v1', 'v2', 'latest'],
  Created: new GoTime('2024-05-02T10:00:00.500Z'),
  Labels: new Map([['zeta', 'last'], ['org.opencontainers.image.version', '1.2.3'], ['a<b', 'x&"y"']]),
  Empty: new GoNil('map'),
  NoEnv: new GoNil('slice'),
  Count: 3,
  Flag: false,
  Layers: [{ Digest: 'sha256:1', Size: 10 }, { Digest: 'sha256:2', Size: 20 }],
};

const render = (t: string): string => renderGoTemplate(t, data);

test('fields, text around them, maps and slices print as Go prints them', () => {
  const table: [string, string][] = [
    ['{{.Digest}}', 'sha256:abc'],
    ['name={{.Name}} digest={{ .Digest }}!', 'name=reg.example/app digest=sha256:abc!'],
    ['{{.RepoTags}}', '[v1 v2 latest]'],
    ['{{.Labels}}', 'map[a<b:x&"y" org.opencontainers.image.version:1.2.3 zeta:last]'],
    ['{{.Empty}}|{{.NoEnv}}', 'map[]|[]'],
    ['{{.Labels.zeta}}|{{.Labels.missing}}', 'last|<no value>'],
    ['{{.Created}}', '2024-05-02 10:00:00.5 +0000 UTC'],
    ['{{.Count}} {{.Flag}}', '3 false'],
    ['{{.Layers}}', '[{sha256:1 10} {sha256:2 20}]'],
    ['{{/* a comment */}}x', 'x'],
    ['a  {{- .Count -}}  b', 'a3b'],
    ['{{"lit"}} {{`raw\\n`}} {{42}} {{true}}', 'lit raw\\n 42 true'],
    ['{{"tab\\there\\x21"}}', 'tab\there!'],
  ];
  for (const [template, expected] of table) assert.equal(render(template), expected, template);
});

test('json, index, len, join, printf and the comparison functions', () => {
  const table: [string, string][] = [
    ['{{json .Labels}}', '{"a<b":"x&\\"y\\"","org.opencontainers.image.version":"1.2.3","zeta":"last"}'],
    ['{{json .RepoTags}} {{json .Empty}} {{json .Created}} {{json .Count}}', '["v1","v2","latest"] null "2024-05-02T10:00:00.500Z" 3'],
    ['{{index .Labels "org.opencontainers.image.version"}}|{{index .Labels "missing"}}|{{index .Empty "x"}}', '1.2.3||'],
    ['{{index .RepoTags 1}} {{with index .Layers 1}}{{.Size}}{{end}} {{len (index .RepoTags 0)}}', 'v2 20 2'],
    ['{{len .RepoTags}} {{len .Labels}} {{len .Name}} {{len .NoEnv}}', '3 3 15 0'],
    ['{{join .RepoTags ","}}', 'v1,v2,latest'],
    ['{{.Name | upper}} {{lower "ABC"}}', 'REG.EXAMPLE/APP abc'],
    ['{{printf "%s@%s %d%%" .Name .Digest .Count}}', 'reg.example/app@sha256:abc 3%'],
    ['{{printf "%q" .Name}}', '"reg.example/app"'],
    ['{{print 1 2 "a" "b" 3}}', '1 2ab3'],
    ['{{if eq .Name "reg.example/app"}}same{{end}} {{if ne .Count 3}}x{{else}}three{{end}}', 'same three'],
    ['{{if and .Count .Flag}}a{{else if or .Flag .Name}}b{{else}}c{{end}}', 'b'],
    ['{{if not .Flag}}yes{{end}} {{if lt .Count 4}}lt{{end}} {{if ge .Count 3}}ge{{end}}', 'yes lt ge'],
  ];
  for (const [template, expected] of table) assert.equal(render(template), expected, template);
});

test('range, with, if and variables', () => {
  const table: [string, string][] = [
    ['{{range .RepoTags}}[{{.}}]{{end}}', '[v1][v2][latest]'],
    ['{{range $i, $t := .RepoTags}}{{$i}}={{$t}} {{end}}', '0=v1 1=v2 2=latest '],
    ['{{range $k, $v := .Labels}}{{$k}}:{{$v}};{{end}}', 'a<b:x&"y";org.opencontainers.image.version:1.2.3;zeta:last;'],
    ['{{range .NoEnv}}x{{else}}none{{end}}', 'none'],
    ['{{range .Layers}}{{.Digest}}={{.Size}} {{$.Name}}; {{end}}', 'sha256:1=10 reg.example/app; sha256:2=20 reg.example/app; '],
    ['{{with .Labels.zeta}}<{{.}}>{{end}}{{with .Empty}}x{{else}}empty{{end}}', '<last>empty'],
    ['{{$n := .Name}}{{range .RepoTags}}{{$n}}:{{.}} {{end}}', 'reg.example/app:v1 reg.example/app:v2 reg.example/app:latest '],
    ['{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', '2'],
    ['{{if .Empty}}a{{else with .Name}}{{.}}{{end}}', 'reg.example/app'],
  ];
  for (const [template, expected] of table) assert.equal(render(template), expected, template);
});

test('unsupported constructs and execution errors name what is wrong', () => {
  const table: [string, RegExp][] = [
    ['{{.Nope}}', /no field "Nope" \(fields: Name, Digest,.*\) in "\{\{\.Nope\}\}"/],
    ['{{.Name.Sub}}', /cannot read field "Sub" of a string/],
    ['{{template "x"}}', /\{\{template\}\} is not supported/],
    ['{{define "x"}}{{end}}', /\{\{define\}\} is not supported/],
    ['{{range .RepoTags}}{{break}}{{end}}', /\{\{break\}\} is not supported/],
    ['{{slice .Name 1}}', /function "slice" is not supported \(supported: and, eq/],
    ['{{printf "%5s" .Name}}', /printf verb %5 is not supported/],
    ['{{.Name', /unclosed action/],
    ['{{if .Name}}x', /\{\{if\}\} has no \{\{end\}\}/],
    ['{{end}}', /unexpected \{\{end\}\}/],
    ['{{index .RepoTags 9}}', /index out of range: 9/],
    ['{{eq .Count "3"}}', /incompatible types for comparison: number and string/],
    ['{{range .Name}}{{end}}', /range can't iterate over string/],
    ["{{'a'}}", /character constants are not supported/],
    ['{{.Name 1}}', /\.Name is not a function/],
    ['{{$y}}', /undefined variable \$y/],
    ['{{(index .Layers 0).Size}}', /fields of a parenthesised value are not supported/],
    ['{{index .Layers 0 "Size"}}', /cannot index struct/],
    ['{{/* open', /unclosed action/],
  ];
  for (const [template, expected] of table) {
    assert.throws(() => renderGoTemplate(template, data, '--format'), (err: unknown) => {
      assert.ok(isFerryError(err, 'USAGE'), String(err));
      assert.match(err.message, /^--format: /);
      assert.match(err.message, expected, template);
      return true;
    }, template);
  }
});

test('Go printing and JSON encoding of the value kinds', () => {
  assert.equal(goPrint(undefined), '<no value>');
  assert.equal(goPrint(null), '<nil>');
  assert.equal(goPrint(new GoTime('2024-01-01T00:00:00Z')), '2024-01-01 00:00:00 +0000 UTC');
  assert.equal(goPrint(new GoTime('2024-01-01T12:30:00+02:00')), '2024-01-01 12:30:00 +0200 +0200');
  assert.equal(goJson('line\u2028sep <&>'), '"line\\u2028sep <&>"');
  assert.equal(goJson({ A: 1, B: undefined, C: new GoNil('slice') }), '{"A":1,"C":null}');
  assert.equal(goJson({ toJSON: () => ({ X: new Map([['b', '2'], ['a', '1']]) }) }), '{"X":{"a":"1","b":"2"}}');
});
