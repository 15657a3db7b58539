// trainsim inspect model NAME [--seq-len N] [--json]: parameter, FLOP and KV-cache accounting.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/options.hpp"
#include "core/units.hpp"
#include "models/accounting.hpp"
#include "models/catalog.hpp"
#include "reports/text_table.hpp"

namespace trainsim::cli {

int cmd_inspect(const Args& args, std::ostream& out) {
  po::options_description desc("inspect options");
  std::string seq_text = "4096";
  bool json = false;
  desc.add_options()("seq-len", po::value(&seq_text)->default_value("4096"),
                     "sequence length (e.g. 4096, 4K, 128K)")("json", po::bool_switch(&json),
                                                              "print a JSON object (SI units)");
  po::variables_map vm;
  if (!parse_command_line(args, "inspect", "model NAME [--seq-len N] [--json]", desc,
                          {"what", "name"}, vm, out)) {
    return kExitOk;
  }
  if (vm["what"].as<std::string>() != "model") {
    throw po::error(
        fmt::format("can only inspect 'model', not '{}'", vm["what"].as<std::string>()));
  }
  double seq = 0;
  try {
    seq = units::parse(seq_text, units::Quantity::SequenceLength);
  } catch (const units::UnitError& e) {
    throw po::error(fmt::format("--seq-len: {}", e.what()));
  }
  if (seq < 1 || seq > 1e8) throw po::error("--seq-len must be between 1 and 100M tokens");
  const auto& model = models::ModelCatalog::bundled().get(vm["name"].as<std::string>());
  const auto seq_len = static_cast<std::int64_t>(seq);
  const auto pc = models::count_parameters(model);
  const auto f = models::flops_per_token(model, seq_len);
  const double kv = models::kv_cache_bytes_per_token(model);
  if (json) {
    nlohmann::ordered_json j;
    j["model"] = model.name;
    j["seq_len"] = seq_len;
    j["params_total"] = pc.total;
    j["params_active"] = pc.activated;
    j["params_embedding"] = pc.embedding;
    j["params_head"] = pc.head;
    j["params_mtp_unique"] = pc.mtp_unique;
    j["train_flops_per_token"] = f.total;
    j["train_flops_per_token_matmul"] = f.matmul;
    j["train_flops_per_token_attention"] = f.attention;
    j["train_flops_per_token_mtp"] = f.mtp;
    j["forward_flops_per_token"] = f.forward;
    j["kv_cache_bytes_per_token"] = kv;
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  using units::Quantity;
  out << fmt::format("{} — {}\n\n", model.name, model.description);
  reports::TextTable t({"quantity", "value", "how"},
                       {reports::Align::Left, reports::Align::Right, reports::Align::Left});
  t.add_row({"parameters, total", units::format(static_cast<double>(pc.total), Quantity::Count),
             "main model incl. embedding and head"});
  t.add_row({"parameters, activated per token",
             units::format(static_cast<double>(pc.activated), Quantity::Count),
             "shared + top-k experts, attention, embedding, head"});
  if (pc.mtp_unique > 0) {
    t.add_row({"MTP modules (unique)",
               units::format(static_cast<double>(pc.mtp_unique), Quantity::Count),
               "excl. shared embedding and head"});
  }
  t.add_row({fmt::format("training FLOP per token at {}", seq_len),
             units::format(f.total, Quantity::Flops),
             "6·N_matmul + causal attention 3·L·2·H·(d_qk+d_v)·S/2"});
  t.add_row({"  of which matmul", units::format(f.matmul, Quantity::Flops),
             "6·N (excl. the embedding lookup)"});
  t.add_row({"  of which attention", units::format(f.attention, Quantity::Flops),
             "grows linearly with S"});
  if (f.mtp > 0)
    t.add_row(
        {"MTP extra per token", units::format(f.mtp, Quantity::Flops), "not in the total above"});
  t.add_row({"KV cache per token (BF16)", units::format(kv, Quantity::Bytes),
             "what inference keeps per token"});
  out << t.render();
  return kExitOk;
}

}  // namespace trainsim::cli
