/**
 * The balancers' configurations: nginx (HTTP, and the file protocol through
 * its stream module) and haproxy (the same two, with active health checks),
 * as pure functions of the hosts' addresses and the listening ports, so
 * docs/SCALE-OUT.md shows exactly what the test cluster runs.
 *
 * @module
 */

import { PROBE_FILE, SERVICE_PORTS } from "./services.ts";

/** The loopback ports the balancers listen on. */
export interface BalancerPorts {
  /** nginx, HTTP. */
  nginxHttp: number;
  /** nginx stream module, the file protocol. */
  nginxFiles: number;
  /** haproxy, HTTP. */
  haproxyHttp: number;
  /** haproxy, the file protocol. */
  haproxyFiles: number;
}

/** What the configurations are made of. */
export interface BalancerPlan {
  /** The hosts' addresses. */
  hosts: string[];
  ports: BalancerPorts;
  /** The folder for logs, temp files, pid file and the haproxy admin socket. */
  dir: string;
  /** Hosts (1-based) marked `down` in nginx: no new connections go there. @default none */
  drained?: readonly number[];
}

/** nginx's configuration: `http` and `stream` upstreams over every host. */
export function nginxConfig(plan: BalancerPlan): string {
  const { dir, ports } = plan;
  const servers = (port: number) =>
    plan.hosts.map((h, k) =>
      `    server ${h}:${port} max_fails=1 fail_timeout=5s${
        plan.drained?.includes(k + 1) ? " down" : ""
      };`
    ).join("\n");
  return `# The netkit cluster's balancer (made by scripts/cluster.ts).
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 1024; }

http {
  access_log off;
  client_body_temp_path ${dir}/nginx-body;
  proxy_temp_path ${dir}/nginx-proxy;
  client_max_body_size 0;
  upstream netkit_http {
    # Passive health checks: a host that fails a request is left out for
    # fail_timeout. Stock nginx has no active checks; with NGINX Plus, add
    # "health_check uri=/health;" in the location below (the health
    # endpoint of issue 15). haproxy (haproxy.cfg) GETs /${PROBE_FILE}, a
    # known file, until /health lands.
${servers(SERVICE_PORTS.http)}
  }
  server {
    listen 127.0.0.1:${ports.nginxHttp};
    location / {
      proxy_pass http://netkit_http;
      # A request a host could not answer goes to the next one. GET, HEAD
      # and PUT are idempotent and retried; the body is buffered for that.
      proxy_next_upstream error timeout http_502 http_503 http_504;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 2s;
      proxy_request_buffering on;
      proxy_buffering off;
      # Between two reads or writes, not for a whole transfer: how long a
      # request in flight waits for a host that vanished (netkit answers an
      # upload once it is flushed to disk: allow for that).
      proxy_read_timeout 60s;
      proxy_send_timeout 60s;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}

stream {
  upstream netkit_files {
${servers(SERVICE_PORTS.files)}
  }
  server {
    listen 127.0.0.1:${ports.nginxFiles};
    proxy_pass netkit_files;
    # A host that refuses the connection is skipped; a session, once
    # connected, stays on its host.
    proxy_next_upstream on;
    proxy_next_upstream_tries 3;
    proxy_connect_timeout 2s;
    # Just over netkit's idle timeout (60 s), which ends silent sessions itself.
    proxy_timeout 65s;
  }
}
`;
}

/** haproxy's configuration: the same two services, with active health checks. */
export function haproxyConfig(plan: BalancerPlan): string {
  const { dir, ports } = plan;
  const servers = (port: number) =>
    plan.hosts.map((h, i) => `  server h${i + 1} ${h}:${port} check`).join("\n");
  return `# The netkit cluster's balancer (made by scripts/cluster.ts).
global
  stats socket ${dir}/haproxy.sock mode 600 level admin
  maxconn 4096

defaults
  timeout connect 2s
  # Just over netkit's idle timeout (60 s), which ends silent sessions itself.
  timeout client 65s
  timeout server 65s
  timeout check 2s
  retries 3
  option redispatch 1
  default-server inter 1s fall 2 rise 2

frontend files
  mode tcp
  bind 127.0.0.1:${ports.haproxyFiles}
  default_backend files

backend files
  mode tcp
  balance leastconn
  # A connect check: a HELLO would count as a failed login for the token.
${servers(SERVICE_PORTS.files)}

frontend web
  mode http
  bind 127.0.0.1:${ports.haproxyHttp}
  default_backend web

backend web
  mode http
  balance roundrobin
  # A known file until the health endpoint lands; then: GET /health
  option httpchk GET /${PROBE_FILE}
  http-check expect status 200
  retry-on conn-failure empty-response response-timeout 503
${servers(SERVICE_PORTS.http)}
`;
}
