"""A throw-away OpenLDAP server on 127.0.0.1 for the LDAP sign-in tests.

slapd runs in the foreground as a child of the test session, with its own slapd.conf (mdb backend, the core,
cosine and inetorgperson schemas from the system) and database in a temporary folder. The test manages entries with
ldap3 as the directory's root.
"""
import base64
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time

from ldap3 import MODIFY_ADD, MODIFY_DELETE, Connection, Server

SLAPD = os.environ.get("SLAPD_PATH") or shutil.which("slapd") or "/usr/sbin/slapd"
SCHEMA_DIR = "/etc/ldap/schema"
MODULE_DIRS = ("/usr/lib/ldap", "/usr/lib/openldap", "/usr/lib64/openldap")
SUFFIX = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret"  # noqa: S105 (a throw-away test directory)
SERVICE_DN = f"cn=tessera,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service-secret"  # noqa: S105
OPENSSL = shutil.which("openssl")
SKIP_REASON = "slapd not installed: apt-get install slapd ldap-utils, or run scripts/install-system-deps.sh"


def missing_reason():
    """Why the directory cannot start here, or None."""
    if not os.path.isfile(SLAPD) or not os.access(SLAPD, os.X_OK):
        return SKIP_REASON
    if not all(os.path.isfile(f"{SCHEMA_DIR}/{name}.schema") for name in ("core", "cosine", "inetorgperson")):
        return f"{SKIP_REASON} (the schemas in {SCHEMA_DIR} are missing)"
    return None


def ssha(password):
    """userPassword as slappasswd writes it: {SSHA} = base64(sha1(password + salt) + salt)."""
    salt = os.urandom(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt).decode()  # noqa: S324


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificates(folder):
    """A throw-away certificate authority and a server certificate for 127.0.0.1 it signed; returns the CA file."""
    def run(*args):
        subprocess.run([OPENSSL, *args], cwd=folder, check=True, capture_output=True)  # noqa: S603 (our own arguments)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=Tessera test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(f"{folder}/server.ext", "w") as handle:
        handle.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                     "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "server.ext")
    return f"{folder}/ca.pem"


def _config(folder, tls):
    module_dir = next((d for d in MODULE_DIRS if os.path.exists(f"{d}/back_mdb.so")), None)
    modules = f"modulepath {module_dir}\nmoduleload back_mdb\n" if module_dir else ""
    schemas = "".join(f"include {SCHEMA_DIR}/{name}.schema\n" for name in ("core", "cosine", "inetorgperson"))
    # Anonymous clients may only bind, so searches need the service account, as in most company directories.
    certificates = (f"TLSCACertificateFile {folder}/ca.pem\nTLSCertificateFile {folder}/server.pem\n"
                    f"TLSCertificateKeyFile {folder}/server.key\n") if tls else ""
    return f"""{schemas}{modules}{certificates}pidfile {folder}/slapd.pid
database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {folder}/data
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by anonymous auth
"""


class Slapd:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="tessera-slapd-")
        self.port = free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}"
        self.process = None
        #: ldaps:// address and the CA file its certificate chains to; None without openssl to make them
        self.tls_uri = self.ca_file = None

    def start(self):
        os.mkdir(f"{self.folder}/data")
        listen = f"{self.uri}/"
        if OPENSSL:
            self.ca_file = make_certificates(self.folder)
            self.tls_port = free_port()
            self.tls_uri = f"ldaps://127.0.0.1:{self.tls_port}"
            listen += f" {self.tls_uri}/"
        with open(f"{self.folder}/slapd.conf", "w") as handle:
            handle.write(_config(self.folder, tls=bool(OPENSSL)))
        self.log = open(f"{self.folder}/slapd.log", "w+")  # noqa: SIM115 (closed in stop)
        # -d keeps slapd in the foreground, so it is our child and dies with the session.
        self.process = subprocess.Popen(  # noqa: S603 (our own arguments)
            [SLAPD, "-f", f"{self.folder}/slapd.conf", "-h", listen, "-d", "0"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                for port in (self.port, self.tls_port if self.tls_uri else self.port):
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        pass
                return self
            except OSError:
                time.sleep(0.05)
        self.log.seek(0)
        output = self.log.read()
        self.stop()
        raise RuntimeError(f"slapd did not start on {self.uri}:\n{output}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # Entries ----------------------------------------------------------------------------------------------

    def root(self):
        return Connection(Server(self.uri), ROOT_DN, ROOT_PASSWORD, auto_bind=True, raise_exceptions=True)

    def add(self, dn, object_class, **attributes):
        with self.root() as conn:
            conn.add(dn, object_class, attributes)

    def delete(self, dn):
        with self.root() as conn:
            conn.delete(dn)

    def add_member(self, group_dn, member_dn, attribute="member"):
        with self.root() as conn:
            conn.modify(group_dn, {attribute: [(MODIFY_ADD, [member_dn])]})

    def remove_member(self, group_dn, member_dn, attribute="member"):
        with self.root() as conn:
            conn.modify(group_dn, {attribute: [(MODIFY_DELETE, [member_dn])]})
