#include "cli/help_examples.hpp"

#include <map>

namespace trainsim::cli {

const std::vector<std::string>& help_examples(std::string_view command) {
  static const std::map<std::string, std::vector<std::string>, std::less<>> kExamples{
      {"validate",
       {"trainsim validate deepseek-v3",
        "trainsim validate deepseek-v3 --set cluster.gpus=1024 --json -"}},
      {"list", {"trainsim list gpus", "trainsim list schedules --wide", "trainsim list scenarios"}},
      {"inspect",
       {"trainsim inspect model deepseek-v3", "trainsim inspect scenario llama-3.1-405b",
        "trainsim inspect model '{base: llama-3.1-8b, layers: 16}'"}},
      {"estimate",
       {"trainsim estimate deepseek-v3", "trainsim estimate llama-3.1-405b --mfu 0.38"}},
      {"step",
       {"trainsim step deepseek-v3 --symmetric",
        "trainsim step deepseek-v3 --symmetric --batch 4096 --show-rank 0 --show-events 10",
        "trainsim step llama-3.1-405b --symmetric --fold-tp --phase 2 --json -"}},
      {"run",
       {"trainsim run deepseek-v3 --symmetric",
        "trainsim run deepseek-v3 --symmetric --set cluster.gpu=h100 --set price=2.5",
        "trainsim run llama-3.1-405b --symmetric --fold-tp --out llama-report"}},
      {"compare",
       {"trainsim compare deepseek-v3 what-if/deepseek-v3-h100 --symmetric",
        "trainsim compare deepseek-v3 what-if/deepseek-v3-bf16 --symmetric --out v3-bf16"}},
      {"sweep",
       {"trainsim sweep deepseek-v3 --symmetric --vary cluster.gpus=1024,2048",
        "trainsim sweep deepseek-v3 --symmetric --sensitivity --delta 0.1"}},
      {"report",
       {"trainsim run deepseek-v3 --symmetric --json v3.json && trainsim report v3.json --out "
        "v3-report"}},
      {"claims", {"trainsim claims", "trainsim claims --out claims-report"}},
      {"validation", {"trainsim validation", "trainsim validation --only deepep --json -"}},
      {"calibrate",
       {"trainsim calibrate --gpu h100 --out my-h100.yaml   (needs a CUDA build and a GPU)",
        "trainsim calibrate --from-trace train.json --out h800-trace.yaml"}},
      {"collective",
       {"trainsim collective deepseek-v3 --op ep-dispatch --group ep --tokens 4K",
        "trainsim collective llama-3.1-405b --op all-reduce --group tp --sizes 1MiB..1GiB"}},
      {"plan",
       {"trainsim plan deepseek-v3 --gpus 1024..4096",
        "trainsim plan llama-3.1-405b --objective time --gpu h100,h200 --price h200=3"}},
  };
  static const std::vector<std::string> kNone;
  const auto it = kExamples.find(command);
  return it == kExamples.end() ? kNone : it->second;
}

std::string help_examples_text(std::string_view command) {
  const auto& examples = help_examples(command);
  if (examples.empty()) return "";
  std::string out = "examples:\n";
  for (const auto& e : examples) out += "  " + e + "\n";
  return out;
}

}  // namespace trainsim::cli
