"""A real SAML identity provider for the browser tests: Debian's SimpleSAMLphp under ``php -S`` on 127.0.0.1.

Every file it reads (configuration, users, metadata, signing key) is written to a temporary folder, which
SIMPLESAMLPHP_CONFIG_DIR points it at, so the machine's own /etc/simplesamlphp is never used or changed.
"""
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

SIMPLESAMLPHP_DIR = Path(os.environ.get("SIMPLESAMLPHP_DIR", "/usr/share/simplesamlphp"))
PHP = shutil.which("php")
OPENSSL = shutil.which("openssl")
INSTALL_HINT = ".ci/run installs them via scripts/install-system-deps.sh"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
EMAIL_NAMEID = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


def missing_reason():
    """Why SimpleSAMLphp cannot run here, or None when it can."""
    if PHP is None:
        return f"php (php-cli, php-xml, php-mbstring) is not installed; {INSTALL_HINT}"
    if not (SIMPLESAMLPHP_DIR / "www" / "_include.php").is_file():
        return f"SimpleSAMLphp is not installed at {SIMPLESAMLPHP_DIR}; {INSTALL_HINT}"
    if OPENSSL is None:
        return f"the openssl command is not installed; {INSTALL_HINT}"
    check = "exit(extension_loaded('dom') && extension_loaded('openssl') ? 0 : 1);"
    probe = subprocess.run([PHP, "-r", check], capture_output=True)  # noqa: S603 (fixed arguments)
    if probe.returncode != 0:
        return f"php lacks the dom or openssl extension (php-xml); {INSTALL_HINT}"
    return None


@dataclass
class IdpUser:
    """A person the identity provider knows, with the attributes it releases under Tessera's default names."""

    username: str
    password: str
    email: str
    first_name: str = ""
    last_name: str = ""
    groups: list = field(default_factory=list)

    def attributes(self):
        return {"Email": [self.email], "FirstName": [self.first_name], "LastName": [self.last_name],
                "Groups": list(self.groups)}


def php(value):
    """``value`` as a PHP literal (the configuration files are PHP arrays)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(php(v) for v in value) + "]"
    if isinstance(value, dict):
        return "[" + ", ".join(f"{php(k)} => {php(v)}" for k, v in value.items()) + "]"
    raise TypeError(f"no PHP literal for {value!r}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SimpleSamlPhp:
    """One identity provider: ``start()``, add service providers and users at any time, ``stop()``.

    SimpleSAMLphp reads its files on every request, so service providers added after the start are seen.
    """

    def __init__(self, users=(), host="localhost", port=None):
        # Bound to 127.0.0.1 but named "localhost" in every URL: another site than Tessera's 127.0.0.1, so the
        # browser treats the identity provider's POST to the ACS as cross-site, as it is in production.
        self.port = port or free_port()
        self.base_url = f"http://{host}:{self.port}/"
        self.entity_id = f"{self.base_url}saml2/idp/metadata.php"
        self.metadata_url = self.entity_id
        self.sso_url = f"{self.base_url}saml2/idp/SSOService.php"
        self.slo_url = f"{self.base_url}saml2/idp/SingleLogoutService.php"
        self.users = list(users)
        self.service_providers = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="simplesamlphp-")
        self.root = Path(self._tmp.name)
        self.config_dir = self.root / "config"
        self._process = None
        self._log = None

    # Files ------------------------------------------------------------------------------------------------

    def write_config(self):
        for name in ("config", "metadata", "data", "log", "tmp", "sessions", "cert"):
            (self.root / name).mkdir(exist_ok=True)
        self._make_signing_key()
        self._write("config/config.php", {
            "baseurlpath": self.base_url,
            "certdir": str(self.root / "cert") + "/",
            "loggingdir": str(self.root / "log") + "/",
            "datadir": str(self.root / "data") + "/",
            "tempdir": str(self.root / "tmp"),
            "metadatadir": str(self.root / "metadata") + "/",
            "metadata.sources": [{"type": "flatfile", "directory": str(self.root / "metadata")}],
            "secretsalt": secrets.token_hex(16),
            "auth.adminpassword": secrets.token_hex(16),
            "admin.protectmetadata": False,
            # no network here, and nothing to check for
            "admin.checkforupdates": False,
            "timezone": "UTC",
            "enable.saml20-idp": True,
            "module.enable": {"core": True, "saml": True, "exampleauth": True},
            "store.type": "phpsession",
            "session.phpsession.savepath": str(self.root / "sessions"),
            # plain http on 127.0.0.1: a Secure cookie would never come back
            "session.cookie.secure": False,
            "session.cookie.samesite": "Lax",
            "language.cookie.secure": False,
            "logging.handler": "file",
            "logging.logfile": "simplesamlphp.log",
            "logging.level": 7,
            "showerrors": True,
            "errorreporting": False,
            "production": True,
        })
        self.write_users()
        self._write("metadata/saml20-idp-hosted.php", {self.entity_id: {
            "host": "__DEFAULT__",
            "privatekey": "idp.key",
            "certificate": "idp.crt",
            "auth": "example-userpass",
            # Tessera refuses SHA-1 and unsigned assertions: sign both the assertion and the response with SHA-256
            "signature.algorithm": RSA_SHA256,
            "saml20.sign.assertion": True,
            "saml20.sign.response": True,
            "NameIDFormat": EMAIL_NAMEID,
            "simplesaml.nameidattribute": "Email",
            "attributes.NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
        }}, variable="metadata")
        self.write_service_providers()

    def write_users(self):
        # exampleauth:UserPass: the module name first, then "username:password" => attributes
        source = {0: "exampleauth:UserPass", **{f"{u.username}:{u.password}": u.attributes() for u in self.users}}
        self._write("config/authsources.php", {"admin": ["core:AdminPassword"], "example-userpass": source})

    def add_user(self, user):
        self.users.append(user)
        if self.config_dir.exists():
            self.write_users()
        return user

    def add_service_provider(self, entity_id, acs_url, slo_url=None, signs_logout=False):
        """Trust a service provider by its entity id, assertion consumer service and single logout URLs.

        ``signs_logout`` False: the service provider's LogoutRequests come unsigned (it has no key of its own),
        which SimpleSAMLphp refuses unless ``validate.logout`` is switched off for it.
        """
        entry = {
            "AssertionConsumerService": [{"Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                                          "Location": acs_url, "index": 0}],
            "NameIDFormat": EMAIL_NAMEID,
            "signature.algorithm": RSA_SHA256,
            "validate.logout": signs_logout,
        }
        if slo_url:
            entry["SingleLogoutService"] = [
                {"Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", "Location": slo_url}]
        self.service_providers[entity_id] = entry
        if self.config_dir.exists():
            self.write_service_providers()

    def write_service_providers(self):
        self._write("metadata/saml20-sp-remote.php", self.service_providers, variable="metadata")

    def _write(self, relative, value, variable="config"):
        """``value`` as a PHP file: ``$config = [...]``, or one ``$metadata[entity id] = [...]`` per entry."""
        if variable == "metadata":
            lines = [f"$metadata[{php(k)}] = {php(v)};" for k, v in value.items()]
        else:
            lines = [f"${variable} = {php(value)};"]
        (self.root / relative).write_text("<?php\n" + "\n".join(lines) + "\n")

    def _make_signing_key(self):
        key, cert = self.root / "cert" / "idp.key", self.root / "cert" / "idp.crt"
        if key.exists():
            return
        subprocess.run(  # noqa: S603 (fixed arguments)
            [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-sha256", "-nodes", "-days", "2",
             "-subj", "/CN=simplesamlphp.test", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )

    @property
    def certificate_b64(self):
        """The signing certificate as base64 DER (what metadata carries)."""
        pem = (self.root / "cert" / "idp.crt").read_text()
        return "".join(line for line in pem.splitlines() if line and not line.startswith("-----"))

    # Process ----------------------------------------------------------------------------------------------

    def start(self, timeout=10):
        self.write_config()
        env = dict(os.environ, SIMPLESAMLPHP_CONFIG_DIR=str(self.config_dir))
        self._log = open(self.root / "log" / "php-server.log", "wb")
        self._process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [PHP, "-S", f"127.0.0.1:{self.port}", "-t", str(SIMPLESAMLPHP_DIR / "www")],
            cwd=str(SIMPLESAMLPHP_DIR / "www"), env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"php -S exited with {self._process.returncode}:\n{self.server_log()}")
            try:
                with urllib.request.urlopen(self._local(self.metadata_url), timeout=2) as response:  # noqa: S310 (our http URL)
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"SimpleSAMLphp did not answer at {self.metadata_url}:\n{self.server_log()}")
            time.sleep(0.05)

    def stop(self):
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def cleanup(self):
        self.stop()
        self._tmp.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    def _local(self, url):
        return url.replace(self.base_url, f"http://127.0.0.1:{self.port}/", 1)

    def metadata_xml(self):
        """The identity provider's metadata document, as an administrator would download it."""
        with urllib.request.urlopen(self._local(self.metadata_url), timeout=5) as response:  # noqa: S310 (our http URL)
            return response.read().decode()

    def server_log(self):
        """php -S's own log and SimpleSAMLphp's, for a failing test's message."""
        parts = []
        for name in ("php-server.log", "simplesamlphp.log"):
            path = self.root / "log" / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)
