// trainsim inspect [model] NAME|'{inline}' | inspect SCENARIO|- | inspect --hf-config FILE
// [--seq-len N] [--json FILE|-]: parameter, FLOP and KV-cache accounting of a catalog model, an
// inline definition, a scenario's model or a Hugging Face config.json.
#include <fmt/format.h>

#include <iostream>
#include <ostream>

#include "cli/help_examples.hpp"
#include "cli/json_output.hpp"
#include "cli/model_json.hpp"
#include "cli/options.hpp"
#include "core/atomic_file.hpp"
#include "core/units.hpp"
#include "models/accounting.hpp"
#include "models/catalog.hpp"
#include "models/hf_config.hpp"
#include "reports/text_table.hpp"
#include "scenarios/scenario_loader.hpp"
#include "scenarios/scenario_source.hpp"

namespace trainsim::cli {

namespace {

constexpr const char* kUsage =
    "[model] NAME|'{inline model}' | [scenario] SCENARIO|- | --hf-config FILE [--seq-len N] "
    "[--set key.path=value]... [--json FILE|-]";

/// What is inspected, and the sequence length its phases suggest (0: none).
struct Subject {
  models::ModelSpec model;
  std::string origin;  ///< "scenario deepseek-v3 (scenarios/deepseek-v3.yaml)", "" for a model
  std::int64_t seq_len = 0;
};

Subject from_scenario(const std::string& arg, const std::vector<std::string>& sets) {
  const auto s = scenarios::load_scenario(arg, {sets});
  Subject out{s.model, fmt::format("scenario {} ({})", s.name, s.file), 0};
  if (!s.phases.empty()) out.seq_len = s.phases.front().seq_len;
  return out;
}

/// `model NAME`: a catalog name, or an inline definition written as a YAML mapping.
models::ModelSpec from_model_argument(const std::string& text) {
  const auto& catalog = models::ModelCatalog::bundled();
  const auto first = text.find_first_not_of(" \t");
  if (first != std::string::npos && text[first] == '{') {
    const auto node = ConfigNode::load_string(text, "<model argument>");
    return models::resolve_model(node, catalog);
  }
  return catalog.get(text);
}

}  // namespace

int cmd_inspect(const Args& args, std::ostream& out) {
  po::options_description desc("inspect options");
  std::string seq_text = "4096";
  std::string json_file, hf_file;
  std::vector<std::string> sets;
  desc.add_options()("seq-len", po::value(&seq_text)->default_value("4096"),
                     "sequence length (e.g. 4096, 4K, 128K; default for a scenario: its first "
                     "phase's)")("hf-config", po::value(&hf_file),
                                 "inspect the model of a Hugging Face config.json (a local file; "
                                 "llama, mistral, mixtral, qwen2, qwen3, qwen3_moe, deepseek_v2, "
                                 "deepseek_v3)")(
      "set", po::value(&sets)->composing(),
      "override a field of the scenario inspected: key.path=value (repeatable)");
  add_json_option(desc, json_file, "the accounting");
  // Positionals are optional here (none with --hf-config): parsed as one hidden list.
  std::vector<std::string> pos;
  add_wide_option(desc);
  desc.add_options()("help,h", "show this help");
  po::options_description hidden;
  hidden.add_options()("subject", po::value(&pos)->multitoken());
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description positional;
  positional.add("subject", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
  if (vm.count("help")) {
    out << fmt::format("usage: trainsim inspect {}\n\n", kUsage) << desc << "\n"
        << help_examples_text("inspect");
    return kExitOk;
  }
  po::notify(vm);
  apply_wide_option(vm);
  Subject subject;
  if (!hf_file.empty()) {
    if (!pos.empty()) {
      throw po::error(
          fmt::format("--hf-config takes no other model or scenario (got '{}')", pos.front()));
    }
    if (!sets.empty()) throw po::error("--set applies to a scenario, not to --hf-config");
    subject.model = models::load_hf_config(hf_file);
  } else if (pos.empty()) {
    throw po::error(fmt::format("missing what to inspect (usage: trainsim inspect {})", kUsage));
  } else if (pos.size() > 2 || (pos.size() == 2 && pos[0] != "model" && pos[0] != "scenario")) {
    throw po::error(
        fmt::format("inspect takes 'model NAME', 'scenario SCENARIO' or one SCENARIO, not '{}'",
                    fmt::join(pos, " ")));
  } else if (pos[0] == "model" || pos[0] == "scenario") {
    if (pos.size() < 2) {
      throw po::error(fmt::format("missing the {} after '{}' (usage: trainsim inspect {})",
                                  pos[0] == "model" ? "model name" : "scenario", pos[0], kUsage));
    }
    if (pos[0] == "model") {
      if (!sets.empty()) throw po::error("--set applies to a scenario, not to 'model NAME'");
      subject.model = from_model_argument(pos[1]);
    } else {
      subject = from_scenario(pos[1], sets);
    }
  } else {
    // One argument: a scenario (file, '-', bundled name), else a catalog model's name.
    const std::string& arg = pos[0];
    const auto& catalog = models::ModelCatalog::bundled();
    try {
      (void)scenarios::resolve_scenario_path(arg);
    } catch (const IoError& e) {
      if (!catalog.has(arg)) {
        std::string hint;
        if (const auto near = closest_name(arg, catalog.names()); !near.empty()) {
          hint = fmt::format(" (did you mean model '{}'?)", near);
        }
        throw ModelError(fmt::format("{}; nor is it a catalog model{}: {}", e.what(), hint,
                                     join_names(catalog.names())));
      }
      if (!sets.empty()) throw po::error("--set applies to a scenario, not to a model name");
      subject.model = catalog.get(arg);
    }
    if (subject.model.name.empty()) subject = from_scenario(arg, sets);
  }

  double seq = 0;
  try {
    seq = units::parse(seq_text, units::Quantity::SequenceLength);
  } catch (const units::UnitError& e) {
    throw po::error(fmt::format("--seq-len: {}", e.what()));
  }
  if (seq < 1 || seq > 1e8) throw po::error("--seq-len must be between 1 and 100M tokens");
  const auto seq_len = vm["seq-len"].defaulted() && subject.seq_len > 0
                           ? subject.seq_len
                           : static_cast<std::int64_t>(seq);
  const auto& model = subject.model;
  if (json_to_stdout(json_file)) {
    write_json_output(json_file, model_to_json(model, seq_len), out, std::cerr);
    return kExitOk;
  }
  const auto pc = models::count_parameters(model);
  const auto f = models::flops_per_token(model, seq_len);
  const double kv = models::kv_cache_bytes_per_token(model);
  using units::Quantity;
  if (!subject.origin.empty()) out << subject.origin << "\n";
  out << fmt::format("{} — {}\n\n", model.name, model.description);
  reports::TextTable t({"quantity", "value", "how"},
                       {reports::Align::Left, reports::Align::Right, reports::Align::Left});
  const auto count = [](double v) { return units::format(v, Quantity::Count); };
  t.add_row({"parameters, total", count(static_cast<double>(pc.total)),
             fmt::format("main model incl. embedding and head ({})",
                         reports::with_commas(static_cast<double>(pc.total), 0))});
  t.add_row({"parameters, activated per token", count(static_cast<double>(pc.activated)),
             model.is_moe() ? "shared + top-k experts, attention, embedding, head"
                            : "every parameter (dense)"});
  if (model.published_total_params > 0) {
    t.add_row({"  published total", count(model.published_total_params),
               fmt::format("as the authors state it; computed / published = {:.4f}",
                           static_cast<double>(pc.total) / model.published_total_params)});
  }
  if (model.published_activated_params > 0) {
    t.add_row({"  published activated", count(model.published_activated_params),
               fmt::format("computed / published = {:.4f}",
                           static_cast<double>(pc.activated) / model.published_activated_params)});
  }
  if (pc.mtp_unique > 0) {
    t.add_row({"MTP modules (unique)", count(static_cast<double>(pc.mtp_unique)),
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
  write_json_output(json_file, model_to_json(model, seq_len), out, out);
  return kExitOk;
}

}  // namespace trainsim::cli
