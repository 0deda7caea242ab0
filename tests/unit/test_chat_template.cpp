// Chat layouts (llm/chat_template.h): each family's text for a conversation
// with a system message, two user turns and an assistant reply, as those
// models' own templates render it; the family of real templates' texts.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "llm/chat_template.h"

using namespace fennec;
using llm::ChatFamily;

namespace {

const std::vector<llm::ChatMessage> kChat = {{"system", "You are terse."},
                                             {"user", "Hi"},
                                             {"assistant", " Hello."},
                                             {"user", "Name a fox."}};

std::string format(ChatFamily family, bool add_assistant = true) {
  auto text = llm::format_chat(family, kChat, add_assistant);
  REQUIRE_MESSAGE(text.ok(), text.status().to_string());
  return text.value();
}

}  // namespace

TEST_CASE("chat template: each family lays the conversation out as its models expect") {
  CHECK(format(ChatFamily::kChatml) ==
        "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n Hello.<|im_end|>\n<|im_start|>user\nName a fox.<|im_end|>\n"
        "<|im_start|>assistant\n");
  CHECK(format(ChatFamily::kChatml, false).find("<|im_start|>assistant\n", 150) == std::string::npos);
  CHECK(format(ChatFamily::kLlama3) ==
        "<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nName a fox.<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n");
  CHECK(format(ChatFamily::kLlama2Sys) ==
        "[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi [/INST] Hello.</s>[INST] Name a fox. [/INST]");
  CHECK(format(ChatFamily::kLlama2) == "[INST] You are terse.\nHi [/INST] Hello.</s>[INST] Name a fox. [/INST]");
  CHECK(format(ChatFamily::kZephyr) ==
        "<|system|>\nYou are terse.<|endoftext|>\n<|user|>\nHi<|endoftext|>\n<|assistant|>\n Hello.<|endoftext|>\n"
        "<|user|>\nName a fox.<|endoftext|>\n<|assistant|>\n");
  CHECK(format(ChatFamily::kPhi3) ==
        "<|system|>\nYou are terse.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n Hello.<|end|>\n"
        "<|user|>\nName a fox.<|end|>\n<|assistant|>\n");
  CHECK(format(ChatFamily::kGemma) ==
        "<start_of_turn>user\nYou are terse.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n"
        "<start_of_turn>user\nName a fox.<end_of_turn>\n<start_of_turn>model\n");
  CHECK(std::string(llm::chat_end_of_turn(ChatFamily::kChatml)) == "<|im_end|>");
  CHECK(std::string(llm::chat_end_of_turn(ChatFamily::kLlama3)) == "<|eot_id|>");
  auto bad = llm::format_chat(ChatFamily::kChatml, {{"tool", "x"}}, true);
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("chat template: families are recognized from the templates models ship") {
  // Excerpts of real chat templates (Qwen2, Llama 3, Llama 2, TinyLlama,
  // Phi-3, Gemma).
  const struct {
    const char* jinja;
    ChatFamily family;
  } cases[] = {
      {"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
       "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
       ChatFamily::kChatml},
      {"{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | "
       "trim + '<|eot_id|>' %}",
       ChatFamily::kLlama3},
      {"{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
       "{% elif message['role'] == 'system' %}{{ '<<SYS>>\\n' + content.strip() + '\\n<</SYS>>\\n\\n' }}",
       ChatFamily::kLlama2Sys},
      {"{{ bos_token }}{% for message in messages %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endfor %}",
       ChatFamily::kLlama2},
      {"{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + eos_token }}"
       "{% elif message['role'] == 'assistant' %}{{ '<|assistant|>\\n'  + message['content'] + eos_token }}"
       "{% endif %}{% if loop.last and add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}<|endoftext|>",
       ChatFamily::kZephyr},
      {"{{'<|' + message['role'] + '|>' + '\\n' + message['content'] + '<|end|>\\n' + '<|assistant|>\\n'}}",
       ChatFamily::kPhi3},
      {"{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}", ChatFamily::kGemma},
  };
  for (const auto& c : cases) {
    CAPTURE(c.jinja);
    auto family = llm::detect_chat_family(c.jinja);
    REQUIRE(family.ok());
    CHECK(family.value() == c.family);
    CHECK(llm::parse_chat_family(llm::chat_family_name(c.family)).value() == c.family);
  }
  auto unknown = llm::detect_chat_family("{{ messages | tojson }}");
  CHECK(unknown.status().code() == StatusCode::kUnsupported);
  CHECK(unknown.status().message().find("chatml") != std::string::npos);
}
