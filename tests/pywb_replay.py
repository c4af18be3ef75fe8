"""Replay through pywb, run in pywb's own virtual environment (see tests/tools.py).

pywb pins an old redis client that Prefect cannot share a virtual environment with, and it
monkey-patches the standard library with gevent on import, so it runs in a separate process:

    python pywb_replay.py WORKDIR URL TIMESTAMP (--warc FILE ... | --cdxj DIR --warc FILE ...)

prints JSON: for the raw (``id_``) and the browser replay, the status, headers and body (base64).
"""

import base64
import json
import os
import shutil
import sys


def main(argv):
    workdir, url, timestamp = argv[:3]
    options = argv[3:]
    warcs = [options[i + 1] for i, flag in enumerate(options) if flag == "--warc"]
    cdxj = [options[i + 1] for i, flag in enumerate(options) if flag == "--cdxj"]
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    from pywb.manager.manager import main as wb_manager

    if cdxj:
        # Use our own CDXJ index unchanged: copy WARCs and index without pywb re-indexing them.
        coll = os.path.join("collections", "coll")
        os.makedirs(os.path.join(coll, "archive"), exist_ok=True)
        os.makedirs(os.path.join(coll, "indexes"), exist_ok=True)
        for warc in warcs:
            shutil.copy(warc, os.path.join(coll, "archive"))
        for name in os.listdir(cdxj[0]):
            shutil.copy(os.path.join(cdxj[0], name), os.path.join(coll, "indexes"))
    else:
        wb_manager(["init", "coll"])
        wb_manager(["add", "coll", *warcs])

    import webtest
    from pywb.apps.frontendapp import FrontEndApp

    app = webtest.TestApp(FrontEndApp())
    result = {}
    for mode, path in (("raw", f"/coll/{timestamp}id_/{url}"), ("browser", f"/coll/{timestamp}/{url}")):
        response = app.get(path, expect_errors=True)
        result[mode] = {
            "status": response.status_int,
            "headers": dict(response.headers),
            "body": base64.b64encode(response.body).decode(),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
