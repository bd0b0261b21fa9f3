'use strict';
// Preload (`node --require netguard.cjs`, also via NODE_OPTIONS so child node processes get it): refuses every
// non-loopback DNS lookup, TCP connect and UDP send, and appends one JSON line per attempt
// ({kind, target, blocked, pid, ts, stack}) to $CLAWCORD_NETGUARD_LOG.
// CLAWCORD_NETGUARD_MODE=log lets attempts through (blocked:false) to find out what a process would reach.
const fs = require('node:fs');
const net = require('node:net');
const dns = require('node:dns');
const dgram = require('node:dgram');
const { syncBuiltinESMExports } = require('node:module');

const LOG = process.env.CLAWCORD_NETGUARD_LOG;
const BLOCK = process.env.CLAWCORD_NETGUARD_MODE !== 'log';

function record(kind, target) {
  const rec = { kind, target: String(target), blocked: BLOCK, pid: process.pid, ts: Date.now() };
  rec.stack = (new Error().stack || '').split('\n').slice(3, 9).map((l) => l.trim());
  if (LOG) {
    try {
      fs.appendFileSync(LOG, JSON.stringify(rec) + '\n');
    } catch {
      // never let the guard itself break the process
    }
  }
  return BLOCK;
}

function isLoopbackIp(addr) {
  const a = String(addr).toLowerCase().replace(/^\[|\]$/g, '');
  if (net.isIPv4(a)) return a.startsWith('127.');
  if (net.isIPv6(a)) return a === '::1' || a === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(a);
  return false;
}

function isLocalName(host) {
  const h = String(host).toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

function blockedError(syscall, target, code) {
  const err = new Error(`netguard: ${syscall} ${target} refused (only loopback is allowed)`);
  err.code = code;
  err.errno = code;
  err.syscall = syscall;
  err.hostname = String(target);
  return err;
}

// --- DNS -----------------------------------------------------------------------------------------------------
function addressesOf(result) {
  if (Array.isArray(result)) return result.map((r) => (typeof r === 'string' ? r : r.address));
  return [typeof result === 'string' ? result : result && result.address];
}

const origLookup = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  const host = hostname == null || hostname === '' ? 'localhost' : hostname;
  if (isLoopbackIp(host)) return origLookup.apply(this, arguments);
  if (isLocalName(host)) {
    // localhost normally resolves via /etc/hosts; refuse it if it ever resolves elsewhere
    const args = Array.from(arguments);
    args[args.indexOf(cb)] = function (err, address, family) {
      if (!err && !addressesOf(address).every(isLoopbackIp) && record('dns.lookup', `${host} -> ${address}`)) {
        return cb(blockedError('getaddrinfo', host, 'ENOTFOUND'));
      }
      return cb.apply(this, arguments);
    };
    return origLookup.apply(this, args);
  }
  if (!record('dns.lookup', host)) return origLookup.apply(this, arguments);
  process.nextTick(cb, blockedError('getaddrinfo', host, 'ENOTFOUND'));
  return {};
};

const origPromisesLookup = dns.promises.lookup;
dns.promises.lookup = async function lookup(hostname, options) {
  const host = hostname == null || hostname === '' ? 'localhost' : hostname;
  if (isLoopbackIp(host)) return origPromisesLookup.call(this, hostname, options);
  if (isLocalName(host)) {
    const result = await origPromisesLookup.call(this, hostname, options);
    if (addressesOf(result).every(isLoopbackIp) || !record('dns.promises.lookup', `${host} -> ${JSON.stringify(result)}`)) {
      return result;
    }
    throw blockedError('getaddrinfo', host, 'ENOTFOUND');
  }
  if (!record('dns.promises.lookup', host)) return origPromisesLookup.call(this, hostname, options);
  throw blockedError('getaddrinfo', host, 'ENOTFOUND');
};

// resolve* and reverse never read /etc/hosts, so any use of them would go to a DNS server.
const RESOLVE_METHODS = [
  'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCaa', 'resolveCname', 'resolveMx', 'resolveNaptr',
  'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTlsa', 'resolveTxt', 'reverse', 'lookupService',
];

function guardCallbackApi(target, prefix) {
  for (const name of RESOLVE_METHODS) {
    const orig = target[name];
    if (typeof orig !== 'function') continue;
    target[name] = function (host) {
      if (name === 'lookupService' && isLoopbackIp(host)) return orig.apply(this, arguments);
      if (!record(`${prefix}.${name}`, host)) return orig.apply(this, arguments);
      const cb = arguments[arguments.length - 1];
      if (typeof cb === 'function') process.nextTick(cb, blockedError(name, host, 'ECONNREFUSED'));
      return {};
    };
  }
}

function guardPromiseApi(target, prefix) {
  for (const name of RESOLVE_METHODS) {
    const orig = target[name];
    if (typeof orig !== 'function') continue;
    target[name] = async function (host) {
      if (name === 'lookupService' && isLoopbackIp(host)) return orig.apply(this, arguments);
      if (!record(`${prefix}.${name}`, host)) return orig.apply(this, arguments);
      throw blockedError(name, host, 'ECONNREFUSED');
    };
  }
}

guardCallbackApi(dns, 'dns');
guardCallbackApi(dns.Resolver.prototype, 'dns.Resolver');
guardPromiseApi(dns.promises, 'dns.promises');
guardPromiseApi(dns.promises.Resolver.prototype, 'dns.promises.Resolver');

// --- TCP (net.Socket#connect also carries tls, http(s), http2 and fetch/undici) ---------------------------------
function connectTarget(args) {
  let first = args[0];
  // net.connect() passes its already-normalized [options, cb] array as the single argument
  if (Array.isArray(first)) first = first[0];
  if (first !== null && typeof first === 'object') {
    if (first.path) return null; // unix socket / named pipe
    return { host: first.host || 'localhost', port: first.port, options: first };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return null; // connect(path)
  return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first };
}

const origConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  const t = connectTarget(args);
  if (!t || isLoopbackIp(t.host)) return origConnect.apply(this, args);
  if (isLocalName(t.host)) {
    // the default lookup is the guarded dns.lookup; a custom one is checked here
    const custom = t.options && t.options.lookup;
    if (typeof custom === 'function') {
      t.options.lookup = function (hostname, opts, cb) {
        return custom.call(this, hostname, opts, function (err, address) {
          if (!err && !addressesOf(address).every(isLoopbackIp) && record('net.connect', `${hostname} -> ${address}`)) {
            return cb(blockedError('getaddrinfo', hostname, 'ENOTFOUND'));
          }
          return cb.apply(this, arguments);
        });
      };
    }
    return origConnect.apply(this, args);
  }
  if (!record('net.connect', `${t.host}:${t.port}`)) return origConnect.apply(this, args);
  const err = blockedError('connect', `${t.host}:${t.port}`, 'ENETUNREACH');
  process.nextTick(() => this.destroy(err));
  return this;
};

// --- UDP ----------------------------------------------------------------------------------------------------
function udpRefuse(socket, kind, target, cb) {
  const err = blockedError(kind, target, 'ENETUNREACH');
  if (typeof cb === 'function') process.nextTick(cb, err);
  else if (socket.listenerCount('error') > 0) process.nextTick(() => socket.emit('error', err));
}

const origSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function send(...args) {
  const cb = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined;
  const nums = args.slice(1).filter((a) => typeof a === 'number');
  const port = nums[nums.length - 1];
  let host = args.slice(1).find((a) => typeof a === 'string');
  if (host === undefined) {
    try {
      host = this.remoteAddress().address; // connected socket
    } catch {
      host = 'localhost'; // dgram's default destination
    }
  }
  if (isLoopbackIp(host) || isLocalName(host) || !record('dgram.send', `${host}:${port}`)) return origSend.apply(this, args);
  udpRefuse(this, 'send', `${host}:${port}`, cb);
};

const origUdpConnect = dgram.Socket.prototype.connect;
dgram.Socket.prototype.connect = function connect(port, address, cb) {
  const host = typeof address === 'string' ? address : 'localhost';
  if (isLoopbackIp(host) || isLocalName(host) || !record('dgram.connect', `${host}:${port}`)) {
    return origUdpConnect.apply(this, arguments);
  }
  udpRefuse(this, 'connect', `${host}:${port}`, typeof address === 'function' ? address : cb);
};

for (const name of ['addMembership', 'addSourceSpecificMembership']) {
  const orig = dgram.Socket.prototype[name];
  if (typeof orig !== 'function') continue;
  dgram.Socket.prototype[name] = function (group) {
    if (!record(`dgram.${name}`, group)) return orig.apply(this, arguments);
  };
}

syncBuiltinESMExports();
