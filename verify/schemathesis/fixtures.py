"""Test data for the Schemathesis run: real resources of the fuzzing user, so operations
with an id in their path reach their logic (and their 200 bodies are checked against the
schema) instead of answering 404 to every random id.

    python fixtures.py API_URL TOKEN PRESETS_DIR OUT.toml

Creates, through the API itself: an Avatar Creator project and an uploaded avatar (and a
second of each for the DELETE operations), an avatar generation from a preset, a Pose
Generator project (and one to delete), a pose generation of one library pose (waited for,
so its results and exports exist) and a pose request. Writes a Schemathesis config file
that binds each operation's path parameter to one of them (a one-entry dictionary drawn
in 3 cases out of 4, so generated ids and their 404s are still tried); query and body
values are still generated.
"""

import json
import pathlib
import sys
import time

import requests

API, TOKEN, PRESETS, OUT = sys.argv[1:5]
S = requests.Session()
S.headers["Authorization"] = f"Bearer {TOKEN}"
AC = f"{API}/api/apps/avatar-creator"
PG = f"{API}/api/apps/pose-generator"


def call(method, url, expect, **kwargs):
    reply = S.request(method, url, timeout=30, **kwargs)
    if reply.status_code != expect:
        sys.exit(f"fixtures: {method} {url} -> {reply.status_code} (expected {expect}): {reply.text[:500]}")
    return reply.json()


def upload(project_id, name):
    jpeg = next(p for p in sorted(pathlib.Path(PRESETS).rglob("*.jpg")) if p.stat().st_size > 2000)
    with jpeg.open("rb") as image:
        body = call(
            "POST",
            f"{AC}/projects/{project_id}/avatars/upload",
            201,
            files={"image": (jpeg.name, image, "image/jpeg")},
            data={"name": name},
        )
    return body["avatar"]["id"]


ac_project = call("POST", f"{AC}/projects", 201, json={"name": "Fuzz project"})["project"]["id"]
ac_project_del = call("POST", f"{AC}/projects", 201, json={"name": "Fuzz project to delete"})["project"]["id"]
avatar = upload(ac_project, "Fuzz avatar")
avatar_del = upload(ac_project, "Fuzz avatar to delete")
preset = call("GET", f"{AC}/presets", 200)["presets"][0]["id"]
ac_generation = call(
    "POST", f"{AC}/projects/{ac_project}/avatars/from-preset", 202, json={"presetId": preset}
)["generation"]["id"]

pose = call("GET", f"{PG}/library?limit=1", 200)["poses"][0]["id"]
pg_project = call("POST", f"{PG}/projects", 201, json={"projectName": "Fuzz poses"})["project"]["id"]
pg_project_del = call("POST", f"{PG}/projects", 201, json={"projectName": "Fuzz poses to delete"})["project"]["id"]
generation = call(
    "POST",
    f"{PG}/generate",
    202,
    json={"projectId": pg_project, "generationType": "GALLERY_REFERENCE", "selectedPoseIds": [pose], "avatarId": avatar},
)["generationId"]
deadline = time.monotonic() + 60
while True:
    status = call("GET", f"{PG}/generations/{generation}", 200)["generation"]["status"]
    if status in ("completed", "partial", "failed"):
        break
    if time.monotonic() > deadline:
        sys.exit(f"fixtures: pose generation {generation} still {status} after 60 s")
    time.sleep(0.5)
results = call("GET", f"{PG}/generations/{generation}/results", 200)
generated_pose = next(iter(results.get("poses") or results.get("results") or []), {}).get("id")
pose_request = call("POST", f"{PG}/requests", 201, json={"poseName": "Fuzz pose request", "description": "A pose the fuzzing run asks for"})["request"]["id"]

pins = {
    "avatarCreatorGetProject": {"id": ac_project},
    "avatarCreatorUpdateProject": {"id": ac_project},
    "avatarCreatorDeleteProject": {"id": ac_project_del},
    "avatarCreatorGetAvatar": {"id": avatar},
    "avatarCreatorUpdateAvatar": {"id": avatar},
    "avatarCreatorDeleteAvatar": {"id": avatar_del},
    "avatarCreatorGetUsageHistory": {"id": avatar},
    "avatarCreatorGetPreset": {"id": preset},
    "avatarCreatorGenerateAvatar": {"projectId": ac_project},
    "avatarCreatorCreateFromPreset": {"projectId": ac_project},
    "avatarCreatorGetGeneration": {"id": ac_generation},
    "avatarCreatorUploadAvatar": {"projectId": ac_project},
    "poseGeneratorGetLibraryPose": {"poseId": pose},
    "poseGeneratorGetProject": {"projectId": pg_project},
    "poseGeneratorUpdateProject": {"projectId": pg_project},
    "poseGeneratorDeleteProject": {"projectId": pg_project_del},
    "poseGeneratorGetGeneration": {"generationId": generation},
    "poseGeneratorGetResults": {"generationId": generation},
    "poseGeneratorExportZip": {"generationId": generation},
    "poseGeneratorGenerationEvents": {"generationId": generation},
    "poseGeneratorVoteRequest": {"id": pose_request},
    "poseAdminGetRequest": {"id": pose_request},
    "poseAdminApproveRequest": {"id": pose_request},
    "poseAdminRejectRequest": {"id": pose_request},
    "poseAdminMarkInProgress": {"id": pose_request},
    "poseAdminMarkCompleted": {"id": pose_request},
    "poseAdminUpdateNotes": {"id": pose_request},
}
if generated_pose:
    pins["poseGeneratorRegenerateExport"] = {"poseId": generated_pose}
    pins["poseGeneratorChangeBackground"] = {"poseId": generated_pose}

# Each pinned id is a one-entry dictionary drawn with probability 0.75: most cases use
# the real resource, the rest still get generated ids (and so the documented 404s).
names = {}
with open(OUT, "w") as out:
    for parameters in pins.values():
        for value in parameters.values():
            if value not in names:
                names[value] = f"id{len(names)}"
                out.write(f"[dictionaries.{names[value]}]\nvalues = [{json.dumps(value)}]\n\n")
    for operation_id, parameters in pins.items():
        out.write("[[operations]]\n")
        out.write(f"include-operation-id = {json.dumps(operation_id)}\n")
        values = ", ".join(
            f'{json.dumps(k)} = {{ dictionary = "{names[v]}", probability = 0.75 }}' for k, v in parameters.items()
        )
        out.write(f"parameters = {{ {values} }}\n\n")
print(
    f"fixtures: {len(pins)} operations pinned to real ids (pose generation {generation}: {status}, "
    f"generated pose {generated_pose or 'none'})"
)
