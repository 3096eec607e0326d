"""deploy/k8s: every manifest is valid for a current Kubernetes (kubernetes-validate, strict)
and the pieces fit together: selectors match, probes hit the health endpoints, pods run as
non-root on a read-only root filesystem, ingest is a CronJob and serving never refreshes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
README = Path(__file__).resolve().parents[2] / "README.md"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def documents() -> list[dict[str, Any]]:
    return [d for p in MANIFESTS for d in yaml.safe_load_all(p.read_text()) if d]


def one(kind: str, name: str | None = None) -> dict[str, Any]:
    (found,) = [
        d for d in documents() if d["kind"] == kind and name in (None, d["metadata"]["name"])
    ]
    return found


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_manifest_is_valid_for_the_current_kubernetes(path: Path) -> None:
    for document in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(document, kubernetes_validate.latest_version(), strict=True)


def test_kustomization_lists_every_manifest() -> None:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == [p.name for p in MANIFESTS]


def test_the_deployment_is_highly_available_probed_and_locked_down() -> None:
    deployment = one("Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    pod = spec["template"]["spec"]
    (api,) = pod["containers"]
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["resources"]["requests"] and api["resources"]["limits"]["memory"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert api["securityContext"]["readOnlyRootFilesystem"] is True
    assert api["securityContext"]["allowPrivilegeEscalation"] is False
    # What a read-only root still needs to write (prometheus multiprocess files) is a volume.
    mounted = {m["mountPath"] for m in api["volumeMounts"]}
    config = one("ConfigMap")["data"]
    assert Path(config["PROMETHEUS_MULTIPROC_DIR"]).parent.as_posix() in mounted
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()


def test_service_hpa_and_pdb_point_at_the_deployments_pods() -> None:
    deployment = one("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for service in (one("Service", "eedraws"), one("Service", "eedraws-metrics")):
        assert service["spec"]["selector"].items() <= labels.items()
    ports = {p["name"] for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert {p["targetPort"] for p in one("Service", "eedraws")["spec"]["ports"]} <= ports
    hpa = one("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] >= 2
    pdb = one("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]


def test_ingest_runs_as_a_cronjob_and_serving_never_refreshes() -> None:
    cronjob = one("CronJob")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    (job,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert job["args"][:2] == ["eedraws", "ingest"]
    assert job["securityContext"]["readOnlyRootFilesystem"] is True
    assert one("ConfigMap")["data"]["EEDRAWS_REFRESH_INTERVAL"] == "0"


def test_every_variable_the_manifests_set_is_a_documented_setting() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README.read_text(), re.MULTILINE))
    config = set(one("ConfigMap")["data"]) | set(one("Secret")["stringData"])
    assert {"DATABASE_URL", "DATABASE_READ_URL", "REDIS_URL"} <= config
    assert config <= documented, config - documented
