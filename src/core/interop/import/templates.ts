/**
 * Chat templates that configs name instead of writing out (axolotl `chat_template: chatml`).
 * The recipe's model.chat_template takes Jinja, so a name becomes its text where trellis knows
 * it; the others are reported.
 */

/** Jinja markers: a value holding them is a template, not a name. */
export const isJinja = (s: string) => s.includes("{%") || s.includes("{{");

/** Templates as axolotl ships them (axolotl-ai-cloud/axolotl, Apache-2.0). */
export const NAMED_TEMPLATES: Record<string, string> = {
  chatml:
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}" +
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  llama3:
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}" +
    "{% set loop_messages = messages %}{% for message in loop_messages %}" +
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}" +
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
};
