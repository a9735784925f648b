"""Reads `streamfold serve`'s streams with the official SDKs and prints
what each reassembled, as one JSON object.

  python read_streams.py BASE_URL
"""
import json
import sys

import openai

base = sys.argv[1]
client = openai.OpenAI(base_url=base + "/v1", api_key="none", max_retries=0)
messages = [{"role": "user", "content": "Which planet has rings?"}]

out = {}
# Chat, streamed: the text the deltas add up to, and the SDK's own
# accumulated completion.
text = ""
with client.chat.completions.stream(model="m", messages=messages) as stream:
    for event in stream:
        if event.type == "content.delta":
            text += event.delta
    final = stream.get_final_completion()
out["chat_stream_text"] = text
out["chat_stream_final"] = final.choices[0].message.content
# The plain iterator of chunks (stream=True).
chunks = client.chat.completions.create(model="m", messages=messages, stream=True)
out["chat_chunks_text"] = "".join(
    c.choices[0].delta.content or "" for c in chunks if c.choices
)
# Not streamed: the fold.
plain = client.chat.completions.create(model="m", messages=messages, stream=False)
out["chat_plain"] = plain.choices[0].message.content
print(json.dumps(out))
