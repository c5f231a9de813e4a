"""Debian's Firefox ESR as the phone: headless, in a fresh profile whose user.js gives it a fake camera
(granted without a prompt) and silences every connection of its own, driven over WebDriver BiDi by
the Remote Agent built into Firefox (tests.browser.bidi; no geckodriver)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.browser.bidi import BidiPage, BidiSession
from tests.browser.harness import PhoneBrowser, PhoneSetup, port_from_profile, stop_process

FIREFOX = "/usr/bin/firefox-esr"

# What the phone needs. Firefox has no camera from a file: its fake camera draws a moving test
# picture at the size the page asks for (1280x720 here).
MEDIA_PREFS: dict[str, Any] = {
    "media.navigator.streams.fake": True,
    # Without these two, getUserMedia waits for an answer to a permission prompt that headless
    # Firefox never shows: the page stays at "Starting the camera…" and never joins.
    "media.navigator.permission.disabled": True,
    "permissions.default.camera": 1,
    # Firefox leaves loopback addresses out of ICE by default, and hides host addresses behind mDNS
    # names: in a namespace with only loopback it would gather no usable candidate and ICE fails.
    "media.peerconnection.ice.loopback": True,
    "media.peerconnection.ice.obfuscate_host_addresses": False,
    "media.autoplay.default": 0,
    # The page's console on stdout (firefox.log): the first place to look when a scenario fails.
    "devtools.console.stdout.content": True,
    "browser.dom.window.dump.enabled": True,
}

# Everything Firefox would fetch on its own. The namespace has only loopback, so none of it could
# leave anyway; these keep it from trying (and the log readable). A URL pref is pointed at an inert
# data: URL rather than left empty (Mozilla's test profiles do the same: an empty one is an invalid
# URL that some services retry).
INERT_URL = "data:,"
QUIET_PREFS: dict[str, Any] = {
    "app.update.auto": False,
    "app.update.enabled": False,
    "app.update.checkInstallTime": False,
    "app.normandy.enabled": False,
    "app.normandy.api_url": INERT_URL,
    "app.shield.optoutstudies.enabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.archive.enabled": False,
    "toolkit.telemetry.server": INERT_URL,
    "browser.ping-centre.telemetry": False,
    "browser.newtabpage.activity-stream.feeds.telemetry": False,
    "browser.newtabpage.activity-stream.telemetry": False,
    "browser.newtabpage.activity-stream.feeds.topsites": False,
    "browser.newtabpage.activity-stream.feeds.section.topstories": False,
    "browser.newtabpage.enabled": False,
    "browser.startup.page": 0,
    "browser.startup.homepage": "about:blank",
    "browser.startup.homepage_override.mstone": "ignore",
    "startup.homepage_welcome_url": INERT_URL,
    "browser.aboutwelcome.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.downloads.remote.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.provider.mozilla.updateURL": INERT_URL,
    "browser.safebrowsing.provider.google4.updateURL": INERT_URL,
    "browser.safebrowsing.provider.google.updateURL": INERT_URL,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.http.speculative-parallel-limit": 0,
    "network.trr.mode": 5,
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "security.remote_settings.intermediates.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "browser.region.network.url": INERT_URL,
    "browser.region.update.enabled": False,
    "browser.search.geoip.url": INERT_URL,
    "browser.search.update": False,
    "geo.provider.network.url": INERT_URL,
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "extensions.blocklist.enabled": False,
    # No media plugin downloads (OpenH264, Widevine): the tests run with what Debian ships.
    "media.gmp-provider.enabled": False,
    "media.gmp-manager.url": INERT_URL,
    "media.gmp-manager.chromium-update-url": INERT_URL,
    "media.gmp-gmpopenh264.enabled": False,
    "media.gmp-gmpopenh264.autoupdate": False,
    "media.gmp-widevinecdm.enabled": False,
    "media.gmp-widevinecdm.allow-chromium-update": False,
    "identity.fxaccounts.enabled": False,
    "security.OCSP.enabled": 0,
    "security.remote_settings.crlite_filters.enabled": False,
    "browser.contentblocking.report.lockwise.enabled": False,
    "browser.topsites.contile.enabled": False,
    "browser.urlbar.suggest.quicksuggest.sponsored": False,
    "browser.urlbar.quicksuggest.enabled": False,
    "dom.push.connection.enabled": False,
    "dom.push.serverURL": INERT_URL,
    "browser.tabs.remote.warmup.enabled": False,
    "browser.backup.enabled": False,
    "browser.ml.enable": False,
}


def user_js(prefs: dict[str, Any]) -> str:
    """A user.js that sets these prefs."""
    return "".join(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n" for name, value in prefs.items())


class Firefox:
    """Debian's firefox-esr, headless, in a fresh profile, with the Remote Agent on a free port."""

    def __init__(self, out_dir: Path, grant_camera: bool = True) -> None:
        if not Path(FIREFOX).exists():
            raise RuntimeError(f"{FIREFOX} is missing: scripts/test installs Debian's firefox-esr")
        self.profile = Path(tempfile.mkdtemp(prefix="dartcam-firefox-"))
        prefs = {**QUIET_PREFS, **MEDIA_PREFS}
        if not grant_camera:
            prefs["media.navigator.permission.disabled"] = False
            prefs["permissions.default.camera"] = 2  # refused, as a user who taps "Block"
        (self.profile / "user.js").write_text(user_js(prefs), encoding="utf-8")
        cmd = [FIREFOX, "--headless", "--no-remote", "--profile", str(self.profile)]
        cmd += ["--remote-debugging-port", "0", "about:blank"]
        self.log = open(out_dir / "firefox.log", "w", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        # Mozilla's test switch: Firefox refuses every connection to a non-local address, and (on a
        # release build only then) honours the Remote Settings server of user.js.
        env = {**os.environ, "MOZ_DISABLE_NONLOCAL_CONNECTIONS": "1"}
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    async def bidi_url(self, timeout: float = 30.0) -> str:
        """The WebDriver BiDi endpoint, once Firefox has written its port to the profile."""
        port_file = self.profile / "WebDriverBiDiServer.json"

        def read_port() -> str | None:
            try:
                return str(json.loads(port_file.read_text())["ws_port"])
            except (OSError, ValueError, KeyError):
                return None

        return f"ws://127.0.0.1:{await port_from_profile(self.proc, 'firefox', read_port, timeout)}/session"

    def stop(self) -> None:
        """Stops Firefox by its pid and removes its profile."""
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


async def open_firefox(setup: PhoneSetup) -> PhoneBrowser:
    """Starts Firefox, opens a BiDi session and returns its first tab at the phone's viewport with its
    console recorded. `setup.trusted_cert`: the page is on HTTPS with a certificate of our own
    (BiDi's acceptInsecureCerts: Firefox has no flag that pins one key)."""
    firefox = Firefox(setup.out_dir, grant_camera=setup.grant_camera)
    session = None
    try:
        url = await firefox.bidi_url()
        session = await BidiSession.connect(url, accept_insecure_certs=setup.trusted_cert is not None)
        page = await BidiPage.first(session)
        await page.record_console(setup.console.append)
        await page.set_viewport(setup.viewport["width"], setup.viewport["height"])
    except BaseException:
        if session is not None:
            await session.close()
        await asyncio.to_thread(firefox.stop)
        raise

    async def close() -> None:
        await session.close()
        await asyncio.to_thread(firefox.stop)

    return PhoneBrowser("firefox", firefox.proc.pid, page, close)
