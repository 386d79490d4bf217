# Failure demonstration only (verify/browser/fail-demo): a proxy to the API that serves /docs
# with GET /api/apps/avatar-creator/projects' 200 schema pointing at a schema that does not exist.
#   python3 dangling_ref_proxy.py <API_URL> <PORT>
import http.client, re, sys, urllib.parse
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
up = urllib.parse.urlparse(sys.argv[1]); port = int(sys.argv[2])
class H(BaseHTTPRequestHandler):
    def do(self):
        n = int(self.headers.get('content-length') or 0); body = self.rfile.read(n) if n else None
        c = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ('host', 'accept-encoding')}
        c.request(self.command, self.path, body, hdrs); r = c.getresponse(); data = r.read()
        if self.path.rstrip('/') == '/docs':
            txt = data.decode()
            txt, k = re.subn(r'("\$ref":\s*"#/components/schemas/)ProjectList"', r'\1NoSuchSchema"', txt)
            print('rewrote', k, 'refs', file=sys.stderr, flush=True); data = txt.encode()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ('content-length', 'transfer-encoding', 'connection'): self.send_header(k, v)
        self.send_header('content-length', str(len(data))); self.end_headers(); self.wfile.write(data)
    do_GET = do_POST = do_PUT = do_DELETE = do
    def log_message(self, *a): pass
ThreadingHTTPServer(('127.0.0.1', port), H).serve_forever()
