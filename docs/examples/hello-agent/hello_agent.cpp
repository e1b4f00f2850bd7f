// A minimal Drover agent plugin: it "works" on a task by printing a greeting
// with printf (no shell involved) and reports success when that line appears.
// It shows the whole SDK surface an agent needs: config check, command
// description, line parsing, classification.
#include <drover/plugin/sdk.hpp>

#include <string>
#include <string_view>

namespace {

// Extracts a top-level string field from a flat JSON object (enough for this
// example; real plugins use a JSON library).
std::string field(std::string_view json, std::string_view key) {
  std::string pattern = "\"" + std::string(key) + "\":\"";
  size_t at = json.find(pattern);
  if (at == std::string_view::npos) return "";
  at += pattern.size();
  size_t end = json.find('"', at);
  return std::string(json.substr(at, end - at));
}

class HelloRun : public drover::sdk::AgentRun {
 public:
  void line(int stream, std::string_view text) override {
    if (stream == 1 && text.rfind("hello from ", 0) == 0) greeted_ = true;
  }
  std::string finish(std::string_view request) override {
    bool clean_exit = request.find("\"exit_code\":0") != std::string_view::npos;
    if (greeted_ && clean_exit) return R"({"outcome":"success","reason":"","summary":"said hello"})";
    return R"({"outcome":"failure","reason":"no greeting seen","summary":""})";
  }

 private:
  bool greeted_ = false;
};

class HelloAgent : public drover::sdk::Agent {
 public:
  static void check_config(std::string_view yaml) {
    std::string_view t = yaml;
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.remove_suffix(1);
    if (t != "{}" && !t.empty())
      throw drover::sdk::Error(DROVER_INVALID_CONFIG, "the hello agent takes no settings; remove its config: keys");
  }
  HelloAgent(std::string_view config, std::string_view /*context*/) { check_config(config); }

  std::string build_command(std::string_view request) override {
    std::string task = field(request, "task_id");
    return R"({"argv":["printf","%s\n","hello from )" + task + R"("],"env":{},"stdin":"null"})";
  }
  std::unique_ptr<drover::sdk::AgentRun> begin_run(std::string_view) override {
    drover::sdk::log(DROVER_LOG_DEBUG, "starting a hello run");
    return std::make_unique<HelloRun>();
  }
};

}  // namespace

DROVER_AGENT_PLUGIN_WITH_SCHEMA(HelloAgent, "hello", "1.0.0", "{}  # the hello agent takes no settings")
