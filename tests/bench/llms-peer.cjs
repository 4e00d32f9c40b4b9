// llms-peer.cjs: starts the @musistudio/llms peer of `make bench`.
//
//   node llms-peer.cjs PEERS_DIR PORT UPSTREAM_PORT
//
// The package is a library (the server behind claude-code-router): a
// Server built from an initial configuration with one OpenAI-compatible
// provider, the bench upstream.  Its /v1/messages wants the model as
// "provider,model"; claude-code-router rewrites it in a preHandler hook
// before the package's own, and so does this launcher, so that the same
// request bodies go to every target.  A paced body keeps its model name
// (the upstream reads its timing there, tests/bench/pace.h).  Logging off, as the proxy's
// per-request log is the only one left on in the other targets.
"use strict";

const path = require("path");
const [dir, port, uport] = process.argv.slice(2);
const Server = require(path.join(dir, "node_modules/@musistudio/llms")).default;

const server = new Server({
    logger: false,
    initialConfig: {
        HOST: "127.0.0.1",
        PORT: port,
        providers: [{
            name: "bench",
            api_base_url: `http://127.0.0.1:${uport}/v1/chat/completions`,
            api_key: "bench-upstream-key",
            models: ["bench"],
        }],
    },
});
server.addHook("preHandler", async (req) => {
    if (req.method === "POST" && req.body && req.body.model)
        req.body.model = "bench," +
            (String(req.body.model).includes("-pace-") ? req.body.model : "bench");
});
server.start();
