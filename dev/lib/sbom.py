#!/usr/bin/env python3
"""The SBOM of the keyops image (CycloneDX 1.6 JSON), from what the image archive contains.

  sbom.py build IMAGE_ARCHIVE MAVEN_BOM IMAGE_REF VERSION > sbom.json
      Reads the OCI image archive that dev/image wrote: the Debian packages its base layer records
      in /var/lib/dpkg/status.d/ (one file per package, the distroless way) and the shaded jar in
      the application layer (/app/keyops.jar). Merges them with the CycloneDX Maven plugin's BOM
      of the operator module (its runtime dependencies: the shade plugin packs all of them into
      that jar). The jar's own META-INF/maven/<group>/<artifact>/pom.properties are a cross-check:
      an artifact the jar names that the Maven BOM lacks (a library shaded inside a dependency,
      such as those in hadoop-client-runtime) is added as a component of its own, marked
      keyops:source=shaded-in-jar (artifacts built with Gradle, e.g. Micrometer and Tink, carry no
      pom.properties, so the check runs that way only).
  sbom.py artifact SBOM_JSON MANIFEST_DIGEST MANIFEST_SIZE OUT_DIR
      Writes an OCI image layout in OUT_DIR holding one artifact manifest (artifactType
      application/vnd.cyclonedx+json, the empty config, the SBOM as its one layer, and `subject`
      = the image manifest, so a registry with the OCI referrers API also lists it as a referrer
      of the image), tagged "sbom" in the layout. Prints the artifact manifest's digest.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import zipfile

CDX = "application/vnd.cyclonedx+json"


def blob(tar, digest):
    return tar.extractfile("blobs/sha256/" + digest.split(":", 1)[1]).read()


def image_contents(archive):
    """(manifest digest, config, {package: fields}, jar bytes) of a one-image OCI archive."""
    with tarfile.open(archive) as tar:
        index = json.loads(tar.extractfile("index.json").read())
        desc = index["manifests"][0]
        manifest = json.loads(blob(tar, desc["digest"]))
        config = json.loads(blob(tar, manifest["config"]["digest"]))
        packages, jar = {}, None
        for layer in manifest["layers"]:
            with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob(tar, layer["digest"])))) as lt:
                for m in lt.getmembers():
                    name = m.name.lstrip("./")
                    if name.startswith("var/lib/dpkg/status.d/") and m.isfile():
                        fields = {}
                        for line in lt.extractfile(m).read().decode().splitlines():
                            if line[:1] not in (" ", "\t") and ":" in line:
                                k, v = line.split(":", 1)
                                fields[k.strip()] = v.strip()
                        packages[fields["Package"]] = fields
                    elif name == "app/keyops.jar":
                        jar = lt.extractfile(m).read()
    return desc["digest"], config, packages, jar


def jar_maven_coordinates(jar):
    """{(group, artifact): version} from the pom.properties files shaded into the jar."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(jar)) as z:
        for n in z.namelist():
            if n.startswith("META-INF/maven/") and n.endswith("/pom.properties"):
                props = {}
                for line in z.read(n).decode("utf-8", "replace").splitlines():
                    if "=" in line and not line.startswith("#"):
                        k, v = line.split("=", 1)
                        props[k.strip()] = v.strip()
                if "groupId" in props and "artifactId" in props:
                    out[(props["groupId"], props["artifactId"])] = props.get("version", "")
    return out


def build(archive, maven_bom_path, image_ref, version):
    digest, config, packages, jar = image_contents(archive)
    if not packages:
        sys.exit("sbom: no /var/lib/dpkg/status.d/ in the image: not a dev/image archive?")
    if jar is None:
        sys.exit("sbom: no /app/keyops.jar in the image: not a dev/image archive?")
    maven = json.load(open(maven_bom_path))
    in_jar = jar_maven_coordinates(jar)
    repo = image_ref.rsplit("/", 1)
    components = list(maven.get("components", []))
    listed = {(c.get("group", ""), c.get("name", "")) for c in components}
    listed.add((maven.get("metadata", {}).get("component", {}).get("group", ""),
                maven.get("metadata", {}).get("component", {}).get("name", "")))
    # Artifacts the jar carries that Maven's dependency graph does not name: libraries shaded
    # inside another dependency (hadoop-client-runtime carries Jetty, Jersey, Avro, ...). They are
    # in the image, so they are in the SBOM, marked as found in the jar.
    shaded = sorted(((g, a), v) for (g, a), v in in_jar.items()
                    if (g, a) not in listed and g != "dev.keyops")
    for (g, a), v in shaded:
        purl = f"pkg:maven/{g}/{a}@{v}?type=jar"
        components.append({
            "type": "library",
            "bom-ref": purl,
            "group": g,
            "name": a,
            "version": v,
            "purl": purl,
            "properties": [{"name": "keyops:source", "value": "shaded-in-jar"}],
        })
    if shaded:
        print(f"sbom: {len(shaded)} artifact(s) found only as pom.properties inside the jar "
              "(shaded by a dependency), listed as keyops:source=shaded-in-jar", file=sys.stderr)
    for name in sorted(packages):
        p = packages[name]
        arch = p.get("Architecture", "amd64")
        purl = f"pkg:deb/debian/{name}@{p['Version']}?arch={arch}&distro=debian-12"
        comp = {
            "type": "library",
            "bom-ref": purl,
            "name": name,
            "version": p["Version"],
            "purl": purl,
            "properties": [{"name": "keyops:source", "value": "debian-package"}],
        }
        if p.get("Source"):
            comp["properties"].append({"name": "debian:source", "value": p["Source"]})
        if p.get("Maintainer"):
            comp["supplier"] = {"name": p["Maintainer"]}
        components.append(comp)
    labels = config.get("config", {}).get("Labels", {})
    image_purl = f"pkg:oci/{repo[-1]}@{digest.replace(':', '%3A')}?repository_url={image_ref}"
    root = {
        "type": "container",
        "bom-ref": image_purl,
        "name": image_ref,
        "version": version,
        "purl": image_purl,
        "hashes": [{"alg": "SHA-256", "content": digest.split(":", 1)[1]}],
        "properties": [{"name": k, "value": v} for k, v in sorted(labels.items())],
    }
    operator = maven.get("metadata", {}).get("component")
    if operator:
        components.insert(0, operator)
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": maven.get("specVersion", "1.6"),
        "serialNumber": "urn:uuid:" + str(_uuid_from(digest)),
        "version": 1,
        "metadata": {
            "component": root,
            "tools": maven.get("metadata", {}).get("tools", {}),
        },
        "components": components,
        "dependencies": maven.get("dependencies", []),
    }
    print(f"sbom: {len(packages)} Debian packages, {len(components) - len(packages)} Maven components "
          f"(jar carries {len(in_jar)} pom.properties)", file=sys.stderr)
    json.dump(bom, sys.stdout, indent=1, sort_keys=True)
    print()


def _uuid_from(digest):
    import uuid
    # Deterministic: the same image gives the same serial number.
    return uuid.UUID(hashlib.sha256(("keyops-sbom:" + digest).encode()).hexdigest()[:32])


def artifact(sbom_path, subject_digest, subject_size, out):
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)

    def put(data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
            f.write(data)
        return "sha256:" + d, len(data)

    sbom = open(sbom_path, "rb").read()
    empty_d, empty_n = put(b"{}")
    sbom_d, sbom_n = put(sbom)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": CDX,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty_d, "size": empty_n},
        "layers": [{"mediaType": CDX, "digest": sbom_d, "size": sbom_n,
                    "annotations": {"org.opencontainers.image.title": "sbom.cdx.json"}}],
        "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": subject_digest, "size": int(subject_size)},
        "annotations": {"org.opencontainers.image.created": "1970-01-01T00:00:00Z"},
    }
    raw = json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()
    man_d, man_n = put(raw)
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": man_d, "size": man_n,
        "artifactType": CDX, "annotations": {"org.opencontainers.image.ref.name": "sbom"}}]}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    print(man_d)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "build":
        build(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] == "artifact":
        artifact(*sys.argv[2:])
    else:
        sys.exit(__doc__)
