#include "llm/chat_template.h"

namespace fennec::llm {
namespace {

bool has(const std::string& text, const char* marker) { return text.find(marker) != std::string::npos; }

std::string trim(const std::string& s) {
  const char* space = " \t\n\r\f\v";
  const size_t begin = s.find_first_not_of(space);
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(space) - begin + 1);
}

constexpr ChatFamily kFamilies[] = {ChatFamily::kChatml, ChatFamily::kLlama3, ChatFamily::kLlama2,
                                    ChatFamily::kLlama2Sys, ChatFamily::kPhi3, ChatFamily::kZephyr,
                                    ChatFamily::kGemma};

std::string family_list() {
  std::string names;
  for (ChatFamily f : kFamilies) names += std::string(names.empty() ? "" : ", ") + chat_family_name(f);
  return names;
}

void llama2(const std::vector<ChatMessage>& messages, bool system_block, std::string& out) {
  out += "[INST] ";
  bool in_turn = true;
  for (const ChatMessage& m : messages) {
    if (!in_turn) {
      out += "[INST] ";
      in_turn = true;
    }
    if (m.role == "system") {
      out += system_block ? "<<SYS>>\n" + m.content + "\n<</SYS>>\n\n" : m.content + "\n";
    } else if (m.role == "user") {
      out += m.content + " [/INST]";
    } else {
      out += m.content + "</s>";
      in_turn = false;
    }
  }
}

}  // namespace

Result<ChatFamily> detect_chat_family(const std::string& t) {
  if (has(t, "<|im_start|>") && !has(t, "<|im_sep|>")) return ChatFamily::kChatml;
  if (has(t, "<|start_header_id|>") && has(t, "<|end_header_id|>")) return ChatFamily::kLlama3;
  if (has(t, "[INST]") && !has(t, "[SYSTEM_PROMPT]") && !has(t, "[AVAILABLE_TOOLS]"))
    return has(t, "<<SYS>>") ? ChatFamily::kLlama2Sys : ChatFamily::kLlama2;
  if (has(t, "<|assistant|>") && has(t, "<|end|>")) return ChatFamily::kPhi3;
  if (has(t, "<|user|>") && has(t, "<|endoftext|>")) return ChatFamily::kZephyr;
  if (has(t, "<start_of_turn>")) return ChatFamily::kGemma;
  return make_error(StatusCode::kUnsupported,
                    "the model's chat template is not one of the families the runtime lays out ({}); "
                    "pass one with --chat-template NAME",
                    family_list());
}

const char* chat_family_name(ChatFamily family) {
  switch (family) {
    case ChatFamily::kChatml: return "chatml";
    case ChatFamily::kLlama3: return "llama3";
    case ChatFamily::kLlama2: return "llama2";
    case ChatFamily::kLlama2Sys: return "llama2-sys";
    case ChatFamily::kPhi3: return "phi3";
    case ChatFamily::kZephyr: return "zephyr";
    case ChatFamily::kGemma: return "gemma";
  }
  return "?";
}

Result<ChatFamily> parse_chat_family(const std::string& name) {
  for (ChatFamily f : kFamilies)
    if (name == chat_family_name(f)) return f;
  return make_error(StatusCode::kInvalidArgument, "unknown chat template '{}' (expected {})", name, family_list());
}

Result<std::string> format_chat(ChatFamily family, const std::vector<ChatMessage>& messages, bool add_assistant) {
  for (const ChatMessage& m : messages)
    if (m.role != "system" && m.role != "user" && m.role != "assistant")
      return make_error(StatusCode::kInvalidArgument, "chat message role '{}' (expected system, user or assistant)",
                        m.role);
  std::string out;
  switch (family) {
    case ChatFamily::kChatml:
      for (const ChatMessage& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      if (add_assistant) out += "<|im_start|>assistant\n";
      break;
    case ChatFamily::kLlama3:
      for (const ChatMessage& m : messages)
        out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + trim(m.content) + "<|eot_id|>";
      if (add_assistant) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    case ChatFamily::kLlama2:
    case ChatFamily::kLlama2Sys: llama2(messages, family == ChatFamily::kLlama2Sys, out); break;
    case ChatFamily::kPhi3:
    case ChatFamily::kZephyr: {
      const char* end = family == ChatFamily::kPhi3 ? "<|end|>\n" : "<|endoftext|>\n";
      for (const ChatMessage& m : messages) out += "<|" + m.role + "|>\n" + m.content + end;
      if (add_assistant) out += "<|assistant|>\n";
      break;
    }
    case ChatFamily::kGemma: {
      std::string system;
      for (const ChatMessage& m : messages) {
        if (m.role == "system") {
          system += trim(m.content);
          continue;
        }
        const bool model = m.role == "assistant";
        out += std::string("<start_of_turn>") + (model ? "model" : "user") + "\n";
        if (!system.empty() && !model) {
          out += system + "\n\n";
          system.clear();
        }
        out += trim(m.content) + "<end_of_turn>\n";
      }
      if (add_assistant) out += "<start_of_turn>model\n";
      break;
    }
  }
  return out;
}

const char* chat_end_of_turn(ChatFamily family) {
  switch (family) {
    case ChatFamily::kChatml: return "<|im_end|>";
    case ChatFamily::kLlama3: return "<|eot_id|>";
    case ChatFamily::kLlama2:
    case ChatFamily::kLlama2Sys: return "</s>";
    case ChatFamily::kPhi3: return "<|end|>";
    case ChatFamily::kZephyr: return "<|endoftext|>";
    case ChatFamily::kGemma: return "<end_of_turn>";
  }
  return "";
}

}  // namespace fennec::llm
