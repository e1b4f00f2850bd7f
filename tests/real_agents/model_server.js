#!/usr/bin/env node
// A scripted model API for the real-agents tests: the real agent CLIs (Claude
// Code, Codex, opencode) talk to it through their base-URL settings instead of
// a vendor. Node.js without dependencies; listens on 127.0.0.1 only.
//
//   node model_server.js <port-file> [<request-log>]
// writes the port it listens on to <port-file> once ready, and one JSON line
// per request to <request-log> ({api, path, script, turn, status, tools}).
//
// Speaks, streaming (SSE) and not:
//   POST /v1/messages            Anthropic Messages (Claude Code)
//   POST /v1/responses           OpenAI Responses (Codex)
//   POST /v1/chat/completions    OpenAI Chat Completions (opencode)
// and answers GET /v1/models with one model.
//
// What it answers is scripted by a word in the conversation:
// `drover-script:<scenario>` (the first one in the request wins: Drover's prompt
// names the task's own title before the tasks it builds on), where <scenario> is
//   write:<path>        turn 1: a shell tool call `mkdir -p <dir> && echo ... > <path>`;
//                       after the tool's result: the final text "done: wrote <path>"
//   steps:<n>:<path>    turns 0..n-1: a shell tool call appending a line to <path>;
//                       then the final text "done: <n> steps" (for turn limits)
//   spawn:<secs>        turn 0: a shell tool call that starts `sleep <secs>` in a
//                       new session (setsid) and writes its pid to out/spawned.pid;
//                       turn 1: no answer (10 minutes): for timeouts
//   text:<words>        the final text <words with _ as spaces>, no tool call
//   status:<code>       HTTP <code> with an error body in the API's own format
//                       (400 invalid_request_error, 401, 404 model not found, 500)
//   ratelimit:<secs>    HTTP 429 rate_limit_error with `retry-after: <secs>`
//                       and "try again in <secs>s" in the body
//   ratelimit:none      HTTP 429 with neither
//   usagelimit:<secs>   HTTP 429 usage_limit_reached with resets_in_seconds and
//                       resets_at (Codex's shape) and retry-after
//   failfirst:<key>:<n>:<scenario>  the first <n> requests carrying <key> get
//                       <scenario> (e.g. ratelimit:none), later ones write:<key>.txt
// Without a script word the answer is the final text "done".
// The turn is the number of tool results already in the conversation.
'use strict';

const http = require('http');
const fs = require('fs');

const [portFile, logFile] = process.argv.slice(2);
if (!portFile) {
  console.error('usage: model_server.js <port-file> [<request-log>]');
  process.exit(2);
}
const seenKeys = new Map();  // failfirst key -> requests seen

function log(entry) {
  if (logFile) fs.appendFileSync(logFile, JSON.stringify(entry) + '\n');
}

// The scenario: the first `drover-script:` word in the request, failfirst resolved.
function scenarioOf(text) {
  const found = /drover-script:([A-Za-z0-9_.:\/-]+)/.exec(text);
  if (!found) return {kind: 'text', arg: 'done'};
  let word = found[1];
  const first = /^failfirst:([^:]+):(\d+):(.*)$/.exec(word);
  if (first) {
    const seen = seenKeys.get(first[1]) || 0;
    seenKeys.set(first[1], seen + 1);
    word = seen < Number(first[2]) ? first[3] : 'write:out/' + first[1] + '.txt';
  }
  const colon = word.indexOf(':');
  return colon < 0 ? {kind: word, arg: ''} : {kind: word.slice(0, colon), arg: word.slice(colon + 1)};
}

function shellFor(path) {
  const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.';
  return `mkdir -p ${dir} && echo 'written by the scripted model' > ${path}`;
}

// Tool results already in the conversation (any of the three formats).
function toolResults(body, api) {
  if (api === 'anthropic') {
    let n = 0;
    for (const m of body.messages || [])
      if (Array.isArray(m.content)) n += m.content.filter((c) => c && c.type === 'tool_result').length;
    return n;
  }
  if (api === 'responses') {
    return (Array.isArray(body.input) ? body.input : []).filter((i) => i && /_call_output$/.test(i.type || '')).length;
  }
  return (body.messages || []).filter((m) => m.role === 'tool').length;
}

// The last tool result in the conversation, shortened (for the request log).
function lastToolOutput(body, api) {
  let out = null;
  if (api === 'anthropic') {
    for (const m of body.messages || [])
      for (const c of Array.isArray(m.content) ? m.content : [])
        if (c && c.type === 'tool_result') out = c.content;
  } else if (api === 'responses') {
    for (const i of Array.isArray(body.input) ? body.input : []) if (i && /_call_output$/.test(i.type || '')) out = i.output;
  } else {
    for (const m of body.messages || []) if (m.role === 'tool') out = m.content;
  }
  return out === null ? undefined : JSON.stringify(out).slice(0, 300);
}

function toolNames(body, api) {
  return (body.tools || []).map((t) => (api === 'chat' ? (t.function || {}).name : t.name) || t.type).filter(Boolean);
}

// The agent's shell tool and the arguments it takes for `command`.
function shellCall(body, api, command) {
  const tools = body.tools || [];
  const schemaOf = (t) => (api === 'chat' ? (t.function || {}).parameters : t.input_schema || t.parameters) || {};
  const nameOf = (t) => (api === 'chat' ? (t.function || {}).name : t.name);
  const preferred = ['Bash', 'bash', 'shell', 'exec_command', 'shell_command', 'local_shell'];
  let tool = null;
  for (const want of preferred) {
    tool = tools.find((t) => nameOf(t) === want);
    if (tool) break;
  }
  if (!tool) tool = tools.find((t) => /shell|bash|exec/i.test(nameOf(t) || '')) || {name: 'shell'};
  const props = (schemaOf(tool).properties) || {};
  const args = {};
  if (props.command && props.command.type === 'array') args.command = ['bash', '-lc', command];
  else if (props.cmd) args.cmd = command;
  else args.command = command;
  if (props.description) args.description = 'Write the file';
  return {name: nameOf(tool) || 'shell', args};
}

function errorBody(api, status, scenario) {
  const secs = scenario.arg;
  const messages = {
    400: ['invalid_request_error', 'scripted bad request: this request cannot succeed'],
    401: ['authentication_error', 'invalid x-api-key'],
    403: ['permission_error', 'your key may not use this model'],
    404: ['not_found_error', 'model: fake-model-x does not exist'],
    429: ['rate_limit_error', secs && secs !== 'none'
      ? `Rate limit reached for fake-model on requests per min (RPM): Limit 3, Used 3. Please try again in ${secs}s.`
      : 'Too Many Requests'],
    500: ['api_error', 'scripted internal error'],
    529: ['overloaded_error', 'Overloaded'],
  };
  let [type, message] = messages[status] || ['api_error', 'scripted error'];
  const headers = {'content-type': 'application/json'};
  if (status === 429 && secs && secs !== 'none') headers['retry-after'] = String(secs);
  if (scenario.kind === 'usagelimit') {
    const s = Number(secs) || 60;
    const error = {type: 'usage_limit_reached', message: 'The usage limit has been reached',
      plan_type: 'plus', resets_in_seconds: s, resets_at: Math.floor(Date.now() / 1000) + s};
    return {headers, body: {error}};
  }
  if (api === 'anthropic') return {headers, body: {type: 'error', error: {type, message}}};
  return {headers, body: {error: {message, type: type === 'rate_limit_error' ? 'requests' : type, param: null,
    code: status === 429 ? 'rate_limit_exceeded' : status === 404 ? 'model_not_found' : null}}};
}

// ---------------------------------------------------------------- the three formats

function sse(res) {
  res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive'});
  return (event, data) => {
    if (event) res.write(`event: ${event}\n`);
    res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  };
}

let counter = 0;
const id = (prefix) => `${prefix}_${Date.now().toString(36)}${(++counter).toString(36)}`;

function anthropic(body, reply, res) {
  const msg = {id: id('msg'), type: 'message', role: 'assistant', model: body.model || 'fake-model',
    content: [], stop_reason: null, stop_sequence: null,
    usage: {input_tokens: 100, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0}};
  const blocks = reply.tool
    ? [{type: 'tool_use', id: id('toolu'), name: reply.tool.name, input: reply.tool.args}]
    : [{type: 'text', text: reply.text}];
  const stop = reply.tool ? 'tool_use' : 'end_turn';
  if (!body.stream) {
    res.writeHead(200, {'content-type': 'application/json'});
    res.end(JSON.stringify({...msg, content: blocks, stop_reason: stop, usage: {...msg.usage, output_tokens: 20}}));
    return;
  }
  const send = sse(res);
  send('message_start', {type: 'message_start', message: msg});
  blocks.forEach((b, index) => {
    if (b.type === 'text') {
      send('content_block_start', {type: 'content_block_start', index, content_block: {type: 'text', text: ''}});
      send('content_block_delta', {type: 'content_block_delta', index, delta: {type: 'text_delta', text: b.text}});
    } else {
      send('content_block_start', {type: 'content_block_start', index,
        content_block: {type: 'tool_use', id: b.id, name: b.name, input: {}}});
      send('content_block_delta', {type: 'content_block_delta', index,
        delta: {type: 'input_json_delta', partial_json: JSON.stringify(b.input)}});
    }
    send('content_block_stop', {type: 'content_block_stop', index});
  });
  send('message_delta', {type: 'message_delta', delta: {stop_reason: stop, stop_sequence: null},
    usage: {output_tokens: 20}});
  send('message_stop', {type: 'message_stop'});
  res.end();
}

function responses(body, reply, res) {
  const respId = id('resp');
  const usage = {input_tokens: 100, input_tokens_details: {cached_tokens: 0}, output_tokens: 20,
    output_tokens_details: {reasoning_tokens: 0}, total_tokens: 120};
  const item = reply.tool
    ? {type: 'function_call', id: id('fc'), call_id: id('call'), name: reply.tool.name,
        arguments: JSON.stringify(reply.tool.args), status: 'completed'}
    : {type: 'message', id: id('msg'), role: 'assistant', status: 'completed',
        content: [{type: 'output_text', text: reply.text, annotations: []}]};
  const base = {id: respId, object: 'response', created_at: Math.floor(Date.now() / 1000), model: body.model || 'fake-model'};
  if (!body.stream) {
    res.writeHead(200, {'content-type': 'application/json'});
    res.end(JSON.stringify({...base, status: 'completed', output: [item], usage}));
    return;
  }
  const send = sse(res);
  let seq = 0;
  send('response.created', {type: 'response.created', sequence_number: seq++, response: {...base, status: 'in_progress', output: []}});
  send('response.output_item.added', {type: 'response.output_item.added', sequence_number: seq++, output_index: 0,
    item: reply.tool ? {...item, arguments: '', status: 'in_progress'} : {...item, content: [], status: 'in_progress'}});
  if (reply.tool) {
    send('response.function_call_arguments.delta', {type: 'response.function_call_arguments.delta', sequence_number: seq++,
      item_id: item.id, output_index: 0, delta: item.arguments});
    send('response.function_call_arguments.done', {type: 'response.function_call_arguments.done', sequence_number: seq++,
      item_id: item.id, output_index: 0, arguments: item.arguments});
  } else {
    send('response.output_text.delta', {type: 'response.output_text.delta', sequence_number: seq++, item_id: item.id,
      output_index: 0, content_index: 0, delta: reply.text});
    send('response.output_text.done', {type: 'response.output_text.done', sequence_number: seq++, item_id: item.id,
      output_index: 0, content_index: 0, text: reply.text});
  }
  send('response.output_item.done', {type: 'response.output_item.done', sequence_number: seq++, output_index: 0, item});
  send('response.completed', {type: 'response.completed', sequence_number: seq++,
    response: {...base, status: 'completed', output: [item], usage}});
  res.end();
}

function chat(body, reply, res) {
  const base = {id: id('chatcmpl'), object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000),
    model: body.model || 'fake-model'};
  const usage = {prompt_tokens: 100, completion_tokens: 20, total_tokens: 120};
  const toolCall = reply.tool && {index: 0, id: id('call'), type: 'function',
    function: {name: reply.tool.name, arguments: JSON.stringify(reply.tool.args)}};
  const finish = reply.tool ? 'tool_calls' : 'stop';
  if (!body.stream) {
    res.writeHead(200, {'content-type': 'application/json'});
    res.end(JSON.stringify({...base, object: 'chat.completion', usage, choices: [{index: 0, finish_reason: finish,
      message: reply.tool ? {role: 'assistant', content: null, tool_calls: [toolCall]} : {role: 'assistant', content: reply.text}}]}));
    return;
  }
  const send = sse(res);
  send(null, {...base, choices: [{index: 0, delta: {role: 'assistant', content: ''}, finish_reason: null}]});
  if (reply.tool) send(null, {...base, choices: [{index: 0, delta: {tool_calls: [toolCall]}, finish_reason: null}]});
  else send(null, {...base, choices: [{index: 0, delta: {content: reply.text}, finish_reason: null}]});
  send(null, {...base, choices: [{index: 0, delta: {}, finish_reason: finish}], usage});
  send(null, '[DONE]');
  res.end();
}

// ---------------------------------------------------------------- dispatch

const server = http.createServer((req, res) => {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (raw += chunk));
  req.on('end', () => {
    const path = (req.url || '').split('?')[0];
    if (req.method === 'HEAD') {  // Claude Code's reachability check
      res.writeHead(200);
      res.end();
      return;
    }
    if (req.method === 'GET' && /\/models$/.test(path)) {
      res.writeHead(200, {'content-type': 'application/json'});
      res.end(JSON.stringify({object: 'list', data: [{id: 'fake-model', object: 'model', type: 'model',
        display_name: 'Fake model', created_at: '2026-01-01T00:00:00Z', owned_by: 'drover'}]}));
      return;
    }
    const api = /\/messages$/.test(path) ? 'anthropic' : /\/responses$/.test(path) ? 'responses'
      : /\/chat\/completions$/.test(path) ? 'chat' : null;
    if (req.method !== 'POST' || api === null) {
      log({path, method: req.method, status: 404});
      res.writeHead(404, {'content-type': 'application/json'});
      res.end(JSON.stringify({error: {type: 'not_found_error', message: `no such endpoint: ${req.method} ${path}`}}));
      return;
    }
    let body = {};
    try {
      body = JSON.parse(raw || '{}');
    } catch (e) {
      res.writeHead(400, {'content-type': 'application/json'});
      res.end(JSON.stringify({error: {type: 'invalid_request_error', message: 'body is not JSON'}}));
      return;
    }
    const scenario = scenarioOf(raw);
    const turn = toolResults(body, api);
    const entry = {api, path, script: `${scenario.kind}:${scenario.arg}`, turn, tool_output: lastToolOutput(body, api),
      tools: toolNames(body, api),
      stream: !!body.stream, at: Date.now()};
    let status = 0;
    if (scenario.kind === 'status') status = Number(scenario.arg) || 500;
    if (scenario.kind === 'ratelimit' || scenario.kind === 'usagelimit') status = 429;
    if (status) {
      const e = errorBody(api, status, scenario);
      log({...entry, status});
      res.writeHead(status, e.headers);
      res.end(JSON.stringify(e.body));
      return;
    }
    let reply;
    const hasTools = (body.tools || []).length > 0;
    const steps = scenario.kind === 'steps' ? /^(\d+):(.*)$/.exec(scenario.arg) : null;
    if (steps && turn < Number(steps[1]) && hasTools) {
      const path = steps[2];
      const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.';
      reply = {tool: shellCall(body, api, `mkdir -p ${dir} && echo step ${turn} >> ${path}`)};
    } else if (steps) {
      reply = {text: `done: ${steps[1]} steps`};
    } else if (scenario.kind === 'spawn' && turn === 0 && hasTools) {
      reply = {tool: shellCall(body, api, `mkdir -p out; setsid sleep ${Number(scenario.arg) || 300} ` +
        '</dev/null >/dev/null 2>&1 & echo $! > out/spawned.pid')};
    } else if (scenario.kind === 'spawn') {
      // The agent now waits for an answer that does not come: its task times out.
      log({...entry, status: 0, reply: 'none'});
      setTimeout(() => res.destroy(), 600 * 1000);
      return;
    } else if (scenario.kind === 'write' && turn === 0 && hasTools) {
      reply = {tool: shellCall(body, api, shellFor(scenario.arg))};
    } else if (scenario.kind === 'write') {
      reply = {text: `done: wrote ${scenario.arg}`};
    } else {
      reply = {text: (scenario.arg || 'done').replace(/_/g, ' ')};
    }
    log({...entry, status: 200, reply: reply.tool ? `tool ${reply.tool.name}` : 'text'});
    if (api === 'anthropic') anthropic(body, reply, res);
    else if (api === 'responses') responses(body, reply, res);
    else chat(body, reply, res);
  });
});

server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile + '.tmp', String(server.address().port));
  fs.renameSync(portFile + '.tmp', portFile);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
