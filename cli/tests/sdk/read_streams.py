"""Reads `streamfold serve`'s streams with the official SDKs and prints
what each reassembled, as one JSON object.

  python read_streams.py BASE_URL

Chat and Responses through openai-python, Messages through
anthropic-python: for each, the text its stream's deltas add up to, the
text of the SDK's own accumulated final object, and the text of the
non-streamed answer.
"""
import json
import sys

import anthropic
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

# Responses, streamed: the output text deltas, and get_final_response().
text = ""
with client.responses.stream(model="m", input="Which planet has rings?") as stream:
    for event in stream:
        if event.type == "response.output_text.delta":
            text += event.delta
    final = stream.get_final_response()
out["responses_stream_text"] = text
out["responses_stream_final"] = final.output_text
plain = client.responses.create(model="m", input="Which planet has rings?", stream=False)
out["responses_plain"] = plain.output_text

# Anthropic Messages, streamed: the text stream, and get_final_message().
claude = anthropic.Anthropic(base_url=base, api_key="none", max_retries=0)


def text_of(message):
    return "".join(b.text for b in message.content if b.type == "text")


with claude.messages.stream(model="m", max_tokens=1024, messages=messages) as stream:
    text = "".join(stream.text_stream)
    final = stream.get_final_message()
    final_text = stream.get_final_text()
out["messages_stream_text"] = text
out["messages_stream_final"] = text_of(final)
out["messages_stream_final_text"] = final_text
plain = claude.messages.create(model="m", max_tokens=1024, messages=messages)
out["messages_plain"] = text_of(plain)
print(json.dumps(out))
