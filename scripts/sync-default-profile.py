#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copies profiles/default.yaml (the one source) into the Kubernetes ConfigMap, whose data block
# must carry it unchanged (HardeningDeployTests checks). Run after editing the default profile.
import pathlib, sys

root = pathlib.Path(__file__).resolve().parent.parent
profile = (root / "profiles/default.yaml").read_text()
configmap = root / "deploy/kubernetes/configmap.yaml"
text = configmap.read_text()
marker = "  profile.yaml: |\n"
if marker not in text:
    sys.exit(f"{configmap}: no '{marker.strip()}' block to replace")
head = text[: text.index(marker) + len(marker)]
body = "".join(("    " + line) if line.strip() else line for line in profile.splitlines(keepends=True))
configmap.write_text(head + body)
print(f"{configmap.relative_to(root)}: now carries profiles/default.yaml ({len(profile.splitlines())} lines)")
