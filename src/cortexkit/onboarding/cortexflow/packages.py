"""Download the ARM and Terraform packages into the job's folder (0700) with their sha256 checksums, and
unpack them (zip / tar.gz, refusing paths that leave the folder). An expired link is refreshed through
`edit_instance` (what the docs say to do) and the new links are recorded."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from cortexkit.cortex.client import LinkRefusedError
from cortexkit.onboarding.context import StepContext, StepFailedError
from cortexkit.onboarding.cortexflow import access
from cortexkit.onboarding.cortexflow.template_step import edit_again, links_of

PACKAGES = {"ARM": ("arm.zip", "arm"), "TF": ("terraform.tar.gz", "terraform")}
"""Link kind -> (file name, folder it is unpacked into)."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and "\\" not in name


def unpack(data: bytes, target: Path) -> list[str]:
    """The package's files written under `target` (0600); a file not an archive is kept as it is."""
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    members: list[tuple[str, bytes]] = []
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [(i.filename, archive.read(i)) for i in archive.infolist() if not i.is_dir()]
    else:
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
                for member in archive.getmembers():
                    if member.isfile():
                        handle = archive.extractfile(member)
                        members.append((member.name, handle.read() if handle else b""))
        except tarfile.TarError:
            return []
    names: list[str] = []
    for name, content in members:
        if not _safe(name):
            raise StepFailedError(f"the package holds a path outside its folder: {name!r}")
        path = target / name
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write(path, content)
        names.append(name)
    return sorted(names)


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def _fresh_links(ctx: StepContext) -> dict[str, str]:
    instance = access.instance_id(ctx)
    answer = edit_again(ctx, instance, access.template_request(ctx))
    links = links_of(answer)
    ctx.checkpoint(links=links)
    ctx.log("a template link had expired: fresh links from edit_instance", instance_id=instance)
    return links


def _fetch(ctx: StepContext, kind: str, links: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    client = access.cortex(ctx)
    try:
        return client.download(links[kind]), links
    except LinkRefusedError:
        links = _fresh_links(ctx)
        if kind not in links:
            raise StepFailedError(f"the refreshed template answer has no {kind} link") from None
        try:
            return client.download(links[kind]), links
        except LinkRefusedError as exc:
            raise StepFailedError(f"the {kind} package could not be downloaded: {exc}") from None


def download(ctx: StepContext) -> dict[str, Any]:
    work = ctx.work_dir
    work.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(work, 0o700)
    links: dict[str, str] = dict(
        ctx.partial.get("links") or ctx.outputs.get("template", {}).get("links") or {}
    )
    files: dict[str, Any] = dict(ctx.partial.get("files") or {})
    for kind, (file_name, folder) in PACKAGES.items():
        if kind not in links:
            continue
        path = work / file_name
        recorded = files.get(kind)
        if recorded and path.exists() and sha256(path.read_bytes()) == recorded.get("sha256"):
            continue
        data, links = _fetch(ctx, kind, links)
        _write(path, data)
        unpacked = unpack(data, work / folder)
        files[kind] = {"path": str(path), "sha256": sha256(data), "bytes": len(data), "files": unpacked}
        ctx.checkpoint(files=files, links=links)
        ctx.log(
            f"downloaded the {kind} package ({len(data)} bytes, sha256 {sha256(data)[:16]}...)",
            path=str(path),
        )
    if "ARM" not in files and "TF" not in files:
        raise StepFailedError("the template answer had neither an ARM nor a Terraform link")
    return {"work_dir": str(work), "files": files, "links": links}
