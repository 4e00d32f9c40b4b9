// fcgi-client.mjs: one FastCGI request over a Unix socket, closing the
// connection the moment the answer is complete by its Content-Length,
// as lighttpd does (it does not wait for FCGI_END_REQUEST).  Prints JSON:
// {status, body, stderr, ended}: stderr is what arrived on FCGI_STDERR
// before the close, ended whether FCGI_END_REQUEST came first.
// With FCGI_KEEP_MS=N it asks for FCGI_KEEP_CONN (as nginx's
// fastcgi_keep_conn) and holds the idle connection N ms after the answer.
//
//   node fcgi-client.mjs SOCKET METHOD URI [BODYFILE]
import net from 'node:net';
import fs from 'node:fs';

const [sock, method, uri, file] = process.argv.slice(2);
const body = file ? fs.readFileSync(file) : Buffer.alloc(0);
const keepMs = Number(process.env.FCGI_KEEP_MS || 0);

function record(type, content) {
    const h = Buffer.alloc(8);
    h[0] = 1; // version
    h[1] = type;
    h.writeUInt16BE(1, 2); // request id
    h.writeUInt16BE(content.length, 4);
    return Buffer.concat([h, content]);
}

function nameValue(k, v) {
    const kb = Buffer.from(k), vb = Buffer.from(v);
    const len = (n) => n < 128 ? Buffer.from([n]) : (() => { const b = Buffer.alloc(4); b.writeUInt32BE(n | 0x80000000); return b; })();
    return Buffer.concat([len(kb.length), len(vb.length), kb, vb]);
}

const params = Buffer.concat(Object.entries({
    REQUEST_METHOD: method, REQUEST_URI: uri, CONTENT_LENGTH: String(body.length),
    CONTENT_TYPE: 'application/json', SERVER_PROTOCOL: 'HTTP/1.1', GATEWAY_INTERFACE: 'CGI/1.1',
}).map(([k, v]) => nameValue(k, v)));

const out = { status: 0, body: '', stderr: '', ended: false };
let stdout = Buffer.alloc(0);
let pending = Buffer.alloc(0);
const c = net.createConnection(sock, () => {
    const begin = Buffer.alloc(8);
    begin.writeUInt16BE(1, 0); // FCGI_RESPONDER
    begin[2] = keepMs > 0 ? 1 : 0; // FCGI_KEEP_CONN
    const parts = [record(1, begin), record(4, params), record(4, Buffer.alloc(0))];
    for (let i = 0; i < body.length; i += 65535) parts.push(record(5, body.subarray(i, i + 65535)));
    parts.push(record(5, Buffer.alloc(0)));
    c.write(Buffer.concat(parts));
});
const timer = setTimeout(() => finish(), 20000);

let done = false;
function finish() {
    if (done) return;
    done = true;
    clearTimeout(timer);
    console.log(JSON.stringify(out));
    if (keepMs > 0 && out.ended) {
        c.removeAllListeners('data');
        c.on('close', () => process.exit(0)); // the responder closed it
        setTimeout(() => { c.destroy(); process.exit(0); }, keepMs);
        return;
    }
    c.destroy();
    process.exit(0);
}

// Complete by Content-Length?  Then close, as lighttpd does.
function complete() {
    const i = stdout.indexOf('\r\n\r\n');
    if (i < 0) return false;
    const head = stdout.subarray(0, i).toString('latin1');
    out.status = Number((head.match(/^Status: (\d+)/m) || [])[1] || 0);
    const cl = head.match(/^Content-Length: (\d+)/mi);
    out.body = stdout.subarray(i + 4).toString('utf8');
    return cl !== null && stdout.length - i - 4 >= Number(cl[1]);
}

c.on('data', (d) => {
    pending = Buffer.concat([pending, d]);
    while (pending.length >= 8) {
        const type = pending[1];
        const n = pending.readUInt16BE(4), pad = pending[6];
        if (pending.length < 8 + n + pad) break;
        const content = pending.subarray(8, 8 + n);
        pending = pending.subarray(8 + n + pad);
        if (type === 6) {
            stdout = Buffer.concat([stdout, content]);
            if (keepMs === 0 && complete()) return finish();
        } else if (type === 7) {
            out.stderr += content.toString('utf8');
        } else if (type === 3) {
            out.ended = true;
            complete();
            return finish();
        }
    }
});
c.on('close', finish);
c.on('error', finish);
