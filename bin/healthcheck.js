#!/usr/bin/env node
'use strict';
// Container health: `healthcheck.js control-plane` asks the Admin API's /status (with the admin
// token when one is set); `healthcheck.js data-plane` asks the status listener's /status/ready.
const role = process.argv[2];
const local = (listen, fallback) => {
  const [host, port] = (listen || fallback).split(/:(?=\d+$)/);
  return `http://${host === '0.0.0.0' || host === '[::]' || host === '::' ? '127.0.0.1' : host}:${port}`;
};
const url =
  role === 'data-plane'
    ? `${local(process.env.TOLLGATE_STATUS_LISTEN, '127.0.0.1:8100')}/status/ready`
    : `${local(process.env.TOLLGATE_ADMIN_LISTEN, '127.0.0.1:8001')}/status`;
const headers =
  role !== 'data-plane' && process.env.TOLLGATE_ADMIN_TOKEN
    ? { authorization: `Bearer ${process.env.TOLLGATE_ADMIN_TOKEN}` }
    : {};
fetch(url, { headers, signal: AbortSignal.timeout(3000) })
  .then((res) => process.exit(res.ok ? 0 : 1))
  .catch(() => process.exit(1));
