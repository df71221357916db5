/**
 * The HTTP examples of README.md, read as a reader would: every `curl` command of a ```sh
 * block (its method, path and JSON body, inline `-d '…'` or `--data @file.json` with the file
 * shown earlier as "`file.json`:" and a ```json block), and the answers shown for it (lines
 * `# {…}` after it, or a ```json / ```http block right after a block with one command).
 * The README changes often; whatever cannot be read (an elided `…` answer, a file not shown)
 * is listed in `skipped` with the line, not silently dropped.
 */

export interface ReadmeResponse {
  line: number;
  status?: number;
  json: unknown;
}

export interface ReadmeRequest {
  line: number;
  method: string;
  /** The path without the query, e.g. /v1/jobs/b8935fcb-…/metrics */
  path: string;
  contentType?: string;
  /** The parsed JSON body, when it has one. */
  body?: unknown;
  responses: ReadmeResponse[];
  /** Its output goes through a pipe (`| head -3`): what the README shows is not the answer. */
  piped: boolean;
}

export interface ReadmeExamples {
  requests: ReadmeRequest[];
  skipped: Array<{ line: number; why: string }>;
}

interface Block {
  lang: string;
  text: string;
  line: number;
  endLine: number;
  before: string;
}

function blocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    let j = i + 1;
    while (j < lines.length && !/^```\s*$/.test(lines[j])) j++;
    const before = lines.slice(Math.max(0, start - 3), start).join('\n');
    out.push({ lang: open[1], text: lines.slice(start + 1, j).join('\n'), line: start + 2, endLine: j + 1, before });
    i = j;
  }
  return out;
}

/** Splits a command into words as a POSIX shell would for quotes and backslash-newlines. */
function words(command: string): string[] {
  const out: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      word = (word ?? '') + command.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? command.length : end;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < command.length && command[j] !== '"') {
        if (command[j] === '\\' && j + 1 < command.length) j++;
        text += command[j++];
      }
      word = (word ?? '') + text;
      i = j;
    } else if (c === '\\' && command[i + 1] === '\n') {
      i++;
    } else if (c === '#' && word === null) {
      break; // a comment to the end of the command
    } else if (/\s/.test(c)) {
      if (word !== null) out.push(word);
      word = null;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) out.push(word);
  return out;
}

/** The commands of a shell block: [first line offset, text], joining continued and quoted lines. */
function commands(text: string): Array<{ offset: number; text: string } | { offset: number; comment: string }> {
  const lines = text.split('\n');
  const out: Array<{ offset: number; text: string } | { offset: number; comment: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*#/.test(line)) {
      out.push({ offset: i, comment: line.replace(/^\s*#\s?/, '') });
      continue;
    }
    if (!line.trim()) continue;
    let command = line;
    const open = () => (command.replace(/"[^"]*"/g, '').split("'").length - 1) % 2 === 1;
    while (i + 1 < lines.length && (command.endsWith('\\') || open())) command += `\n${lines[++i]}`;
    out.push({ offset: i - (command.split('\n').length - 1), text: command });
  }
  return out;
}

/** JSON, unless it is not, or elides a part with … (an elided id or date is no example of one). */
const parseJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  if (text.includes('…')) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
};

export function readmeExamples(markdown: string): ReadmeExamples {
  const all = blocks(markdown);
  const files = new Map<string, string>();
  const requests: ReadmeRequest[] = [];
  const skipped: ReadmeExamples['skipped'] = [];

  all.forEach((block, index) => {
    const named = /`([\w.-]+\.json)`:?\s*$/.exec(block.before.trimEnd());
    if (block.lang === 'json' && named) files.set(named[1], block.text);
    if (block.lang !== 'sh' && block.lang !== 'bash') return;

    const inBlock: ReadmeRequest[] = [];
    const parts = commands(block.text);
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k];
      const line = block.line + part.offset;
      if ('comment' in part) {
        // An answer: `# {…}`, possibly continued on the next comment lines.
        if (!part.comment.startsWith('{') || inBlock.length === 0) continue;
        let text = part.comment;
        while (
          !parseJson(text).ok &&
          k + 1 < parts.length &&
          'comment' in parts[k + 1] &&
          !(parts[k + 1] as { comment: string }).comment.startsWith('{')
        ) {
          text += `\n${(parts[++k] as { comment: string }).comment}`;
        }
        const parsed = parseJson(text);
        if (inBlock[inBlock.length - 1].piped) skipped.push({ line, why: 'the output of a pipe, not the answer itself' });
        else if (parsed.ok) inBlock[inBlock.length - 1].responses.push({ line, json: parsed.value });
        else skipped.push({ line, why: 'an answer that is not whole JSON (elided with …)' });
        continue;
      }
      const argv = words(part.text);
      if (argv[0] !== 'curl') continue;
      let method: string | undefined;
      let data: string | undefined;
      let url: string | undefined;
      let multipart = false;
      const headers: string[] = [];
      for (let a = 1; a < argv.length; a++) {
        const arg = argv[a];
        if (arg === '-X' || arg === '--request') method = argv[++a];
        else if (['-d', '--data', '--data-raw', '--data-binary'].includes(arg)) data = argv[++a];
        else if (arg === '-H' || arg === '--header') headers.push(argv[++a]);
        else if (arg === '-F' || arg === '--form') {
          multipart = true;
          a++;
        } else if (arg === '-o' || arg === '--output') a++;
        else if (arg.includes('$API')) url = arg;
      }
      if (!url) continue;
      const path = url.replace(/^.*\$API/, '').split('?')[0];
      const contentType = multipart
        ? 'multipart/form-data'
        : headers
            .find((h) => /^content-type:/i.test(h))
            ?.replace(/^content-type:\s*/i, '')
            .toLowerCase();
      const piped = argv.some((w) => w.startsWith('|'));
      const request: ReadmeRequest = {
        line,
        method: method ?? (data !== undefined || multipart ? 'POST' : 'GET'),
        path,
        contentType,
        responses: [],
        piped,
      };
      if (data !== undefined && contentType === 'application/json') {
        const source = data.startsWith('@') ? files.get(data.slice(1)) : data;
        if (source === undefined) skipped.push({ line, why: `the body ${data} is not shown in the README` });
        else {
          const parsed = parseJson(source);
          if (parsed.ok) request.body = parsed.value;
          else skipped.push({ line, why: 'a body that is not whole JSON' });
        }
      }
      inBlock.push(request);
      requests.push(request);
    }

    // A ```json or ```http block right after a block of one command is its answer.
    const next = all[index + 1];
    if (inBlock.length !== 1 || inBlock[0].piped || !next || next.line - block.endLine > 3) return;
    if (next.lang === 'json') {
      const parsed = parseJson(next.text);
      if (parsed.ok) inBlock[0].responses.push({ line: next.line, json: parsed.value });
      else skipped.push({ line: next.line, why: 'an answer that is not whole JSON (elided with …)' });
    } else if (next.lang === 'http') {
      const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(next.text)?.[1]);
      const body = next.text
        .split(/\n\s*\n/)
        .slice(1)
        .join('\n\n')
        .trim();
      if (!body) return;
      const parsed = parseJson(body);
      if (parsed.ok) inBlock[0].responses.push({ line: next.line, status, json: parsed.value });
      else skipped.push({ line: next.line, why: 'an answer that is not whole JSON (elided with …)' });
    }
  });
  return { requests, skipped };
}

/** An answer that refuses the request: the README shows a bad request on purpose. */
export function isRefused(request: ReadmeRequest): boolean {
  return request.responses.some(
    (r) =>
      (r.status !== undefined && r.status >= 400) ||
      (typeof r.json === 'object' && r.json !== null && 'error' in r.json && 'message' in r.json),
  );
}
