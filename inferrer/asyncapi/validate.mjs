// Runs the official @asyncapi/parser on AsyncAPI documents and prints, for each
// file, one JSON line: {"file": ..., "diagnostics": [...]}.
//
//   node validate.mjs NODE_MODULES_DIR FILE...   validate the files, then exit
//   node validate.mjs NODE_MODULES_DIR           read one file path per stdin line
//
// Exit status: 0 after reporting (whatever the diagnostics say), 3 when the
// parser package cannot be loaded.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';

const [nodeModules, ...files] = process.argv.slice(2);
let Parser;
let require;
try {
  require = createRequire(path.join(path.resolve(nodeModules), 'inferrer-validate.js'));
  ({ Parser } = require('@asyncapi/parser'));
} catch (error) {
  process.stderr.write(`cannot load @asyncapi/parser from ${nodeModules}\n`);
  process.exit(3);
}

const parser = new Parser();
// Avro and Protobuf payloads (registry-backed topics) are checked by the official
// schema parsers, when they are installed beside the parser.
for (const [name, factory] of [
  ['@asyncapi/avro-schema-parser', 'AvroSchemaParser'],
  ['@asyncapi/protobuf-schema-parser', 'ProtoBuffSchemaParser'],
]) {
  let found;
  try {
    found = require(name);
  } catch (error) {
    continue;
  }
  const make = found[factory] ?? found.default?.[factory] ?? found.default;
  if (typeof make === 'function') parser.registerSchemaParser(make());
}
const SEVERITIES = ['error', 'warning', 'info', 'hint'];

async function check(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { file, unreadable: String(error.message) };
  }
  const { diagnostics } = await parser.parse(text, { source: path.resolve(file) });
  return {
    file,
    diagnostics: diagnostics.map((d) => ({
      severity: SEVERITIES[d.severity] ?? 'error',
      code: String(d.code),
      message: d.message,
      path: d.path.map(String),
      line: d.range ? d.range.start.line + 1 : null,
      column: d.range ? d.range.start.character + 1 : null,
    })),
  };
}

if (files.length > 0) {
  for (const file of files) {
    process.stdout.write(JSON.stringify(await check(file)) + '\n');
  }
} else {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() !== '') {
      process.stdout.write(JSON.stringify(await check(line)) + '\n');
    }
  }
}
