"""Clients of `hybrid-gym serve` for test/integration/serve-python.test.ts, with only `websockets`.

    clients.py episodes PLAN.json   sessions at once (asyncio.gather), each playing its episodes
    clients.py malformed            bad messages, then a good episode start on the same session
    clients.py hang                 reset, start `sleep 60`, and wait (the test kills the process)

The server's address is in HYBRID_GYM_WS. Each mode prints one JSON line on stdout.
"""
import asyncio
import json
import os
import sys

import websockets

URL = os.environ["HYBRID_GYM_WS"]


async def send(ws, message):
    """Send a message (a dict, or raw text as is) and return the reply, whatever its type."""
    await ws.send(message if isinstance(message, str) else json.dumps(message))
    return json.loads(await ws.recv())


def step(tool, input_):
    return {"type": "step", "data": {"tool": tool, "input": input_}}


async def play(ws, instance_id, actions, episode_id, explore=True):
    """Reset to one instance, two bash steps (if explore), the given actions, finish; then the state."""
    reset = await send(ws, {"type": "reset", "data": {"episode_id": episode_id, "options": {"instanceId": instance_id}}})
    replies = [reset]
    for action in [step("bash", {"command": "ls"}), step("bash", {"command": "pwd && ls pkg"})] if explore else []:
        replies.append(await send(ws, action))
    for action in actions:
        replies.append(await send(ws, {"type": "step", "data": action}))
    last = await send(ws, step("finish", {"message": "done"}))
    replies.append(last)
    state = await send(ws, {"type": "state"})
    return {
        "instanceId": instance_id,
        "episode_id": episode_id,
        "types": [r["type"] for r in replies],
        "errors": [r["data"] for r in replies if r["type"] == "error" or r["data"]["observation"].get("isError")],
        "reset_instance": reset["data"]["metadata"]["info"]["instanceId"] if reset["type"] == "observation" else None,
        "reward": last["data"].get("reward"),
        "done": last["data"].get("done"),
        "last_episode_id": last["data"].get("metadata", {}).get("episode_id"),
        "steps": len(replies) - 1,
        "state": state["data"],
    }


async def session(episodes_):
    """One connection playing its episodes one after the other."""
    async with websockets.connect(URL) as ws:
        results = [await play(ws, e["instanceId"], e["actions"], e["episode_id"], e.get("explore", True)) for e in episodes_]
        await ws.send(json.dumps({"type": "close"}))
    return results


async def episodes(plan_file):
    """The plan is a list of sessions, each a list of episodes; the sessions run at once."""
    with open(plan_file, encoding="utf-8") as f:
        plan = json.load(f)
    return await asyncio.gather(*(session(s) for s in plan))


async def malformed():
    async with websockets.connect(URL) as ws:
        bad = {
            "not_json": await send(ws, "this is not JSON"),
            "unknown_type": await send(ws, {"type": "teleport", "data": {}}),
            "step_data_string": await send(ws, {"type": "step", "data": "ls"}),
            "reset_unknown_key": await send(ws, {"type": "reset", "data": {"instance": "x"}}),
        }
        reset = await send(ws, {"type": "reset", "data": {"seed": 3}})
        ls = await send(ws, step("bash", {"command": "ls"}))
        state = await send(ws, {"type": "state"})
        await ws.send(json.dumps({"type": "close"}))
    return {"bad": bad, "reset": reset, "step": ls, "state": state}


async def hang():
    async with websockets.connect(URL) as ws:
        reset = await send(ws, {"type": "reset", "data": {"seed": 0}})
        await ws.send(json.dumps(step("bash", {"command": "sleep 60", "timeout": 120})))
        print(json.dumps({"reset": reset["type"], "episode_id": reset["data"].get("metadata", {}).get("episode_id")}), flush=True)
        await ws.recv()  # not before 60 s: the test kills this process first
        print(json.dumps({"error": "the sleep returned before the process was killed"}), flush=True)


def main():
    mode = sys.argv[1]
    if mode == "episodes":
        print(json.dumps(asyncio.run(episodes(sys.argv[2]))))
    elif mode == "malformed":
        print(json.dumps(asyncio.run(malformed())))
    elif mode == "hang":
        asyncio.run(hang())
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
