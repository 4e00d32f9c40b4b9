// count-upstream.mjs: a minimal OpenAI upstream that counts the TCP
// connections that carry completions, to show the responder keeps them alive.
// GET /__count -> {"connections": N, "requests": N}.
//
//   node count-upstream.mjs PORTFILE
import http from 'node:http';
import fs from 'node:fs';

let connections = 0, requests = 0;
const base = { id: 'c1', created: 1, model: 'm' };
const server = http.createServer((req, res) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
        if (req.url === '/__count') {
            res.writeHead(200, { 'content-type': 'application/json' });
            return res.end(JSON.stringify({ connections, requests }));
        }
        requests++;
        if (!req.socket.counted) {
            req.socket.counted = true;
            connections++;
        }
        const body = JSON.parse(Buffer.concat(parts).toString('utf8'));
        if (body.stream) {
            res.writeHead(200, { 'content-type': 'text/event-stream' });
            const c = (delta, fin) => `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: fin }] })}\n\n`;
            return res.end(c({ role: 'assistant', content: 'hi' }, null) + c({}, 'stop') + 'data: [DONE]\n\n');
        }
        const out = JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
        res.end(out);
    });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
    fs.writeFileSync(process.argv[2] + '.tmp', `${server.address().port}\n`);
    fs.renameSync(process.argv[2] + '.tmp', process.argv[2]);
});
