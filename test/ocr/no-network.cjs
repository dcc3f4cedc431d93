/*
 * Preload for spawned test processes (node --require): any attempt to reach the network,
 * from the main thread or a worker thread (Node runs --require preloads in both), prints
 * NETWORK-ATTEMPT on stderr and throws.
 */
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const tls = require('node:tls');
const dns = require('node:dns');
function blocked(what) {
  return () => {
    process.stderr.write(`NETWORK-ATTEMPT ${what}\n`);
    throw new Error(`network blocked in tests: ${what}`);
  };
}
globalThis.fetch = blocked('fetch');
http.request = blocked('http.request');
http.get = blocked('http.get');
https.request = blocked('https.request');
https.get = blocked('https.get');
// Local IPC (a Unix socket path, as tsx's loader uses) is not the network: let it through.
function tcpOnly(name, original) {
  return function (...args) {
    const a = args[0];
    const ipc =
      (typeof a === 'string' && !/^\d+$/.test(a)) ||
      (a && typeof a === 'object' && typeof a.path === 'string' && a.port === undefined);
    if (ipc) return original.apply(this, args);
    return blocked(name)();
  };
}
net.connect = tcpOnly('net.connect', net.connect);
net.createConnection = tcpOnly('net.createConnection', net.createConnection);
tls.connect = blocked('tls.connect');
dns.lookup = blocked('dns.lookup');
