#include "farmwatch/core/rf_model.h"

#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/ml.hpp>
#include <stdexcept>

#include "farmwatch/core/error.h"
#include "farmwatch/core/gbt21010.h"
#include "forest.h"

namespace farmwatch {

struct RandomForest::Impl {
  cv::Ptr<cv::ml::RTrees> forest;
  ModelInfo info;
};

RandomForest::RandomForest() : impl_(std::make_unique<Impl>()) {}
RandomForest::~RandomForest() = default;
RandomForest::RandomForest(RandomForest&&) noexcept = default;
RandomForest& RandomForest::operator=(RandomForest&&) noexcept = default;
const ModelInfo& RandomForest::info() const { return impl_->info; }

RandomForest RandomForest::train(const std::vector<float>& features,
                                 const std::vector<std::uint8_t>& labels, ModelInfo info, int trees,
                                 int max_depth) {
  const int n = static_cast<int>(labels.size());
  const int f = static_cast<int>(info.layout.size());
  if (n == 0 || features.size() != static_cast<std::size_t>(n) * f)
    throw std::invalid_argument("training: features and labels do not match");
  cv::Mat x(n, f, CV_32F, const_cast<float*>(features.data()));
  cv::Mat y(n, 1, CV_32S);
  for (int i = 0; i < n; ++i) y.at<int>(i) = labels[static_cast<std::size_t>(i)];
  auto data = cv::ml::TrainData::create(x, cv::ml::ROW_SAMPLE, y);
  RandomForest m;
  m.impl_->forest = detail::train_forest(data, trees, max_depth, 2);
  info.samples = n;
  info.trees = trees;
  info.max_depth = max_depth;
  m.impl_->info = std::move(info);
  return m;
}

void RandomForest::save(const std::string& path) const {
  cv::FileStorage fs;
  detail::begin_model_file(fs, path);
  const ModelInfo& i = impl_->info;
  fs << "classifier"
     << "random_forest";
  fs << "trees" << i.trees << "max_depth" << i.max_depth;
  fs << "samples" << static_cast<double>(i.samples);
  fs << "labels" << i.labels;
  fs << "images"
     << "[";
  for (const auto& s : i.images) fs << s;
  fs << "]";
  fs << "dates"
     << "[";
  for (std::size_t d = 0; d < i.layout.bands_per_date.size(); ++d) {
    fs << "{"
       << "bands" << i.layout.bands_per_date[d];
    fs << "roles"
       << "[:";
    for (int r : i.layout.roles_per_date[d]) fs << r;
    fs << "]";
    fs << "description" << i.date_descriptions[d];
    fs << "calibration" << (d < i.date_calibrations.size() ? i.date_calibrations[d] : "") << "}";
  }
  fs << "]";
  fs << "features"
     << "[";
  for (const auto& s : i.layout.names()) fs << s;
  fs << "]";
  fs << "classes"
     << "[";
  for (const auto& c : i.classes)
    fs << "{"
       << "code" << c.code << "name" << c.name << "key" << c.key << "gbt21010" << c.gbt_code
       << "color" << c.color << "observed" << int(c.observed) << "}";
  fs << "]";
  fs << "}";
  fs << "forest"
     << "{";
  impl_->forest->write(fs);
  fs << "}";
}

ClassTable model_class_table(const std::vector<ModelClass>& classes) {
  ClassTable t;
  for (const auto& m : classes) {
    LandClass c;
    c.code = m.code;
    c.key = m.key.empty() ? "class_" + std::to_string(m.code) : m.key;
    c.name = m.name.empty() ? c.key : m.name;
    c.gbt_code = m.gbt_code;
    c.gbt_name = gbt21010_name(m.gbt_code);
    c.color = Rgba::parse(m.color).value_or(default_class_color(m.code));
    c.observed = m.observed;
    t.add(c);
  }
  return t;
}

RandomForest RandomForest::load(const std::string& path) {
  cv::FileStorage fs;
  const cv::FileNode h = detail::open_model_file(fs, path);
  if (!h["kind"].empty())
    throw std::runtime_error("model '" + path +
                             "' is a change model (farmwatch train --before/--after), not a "
                             "land-use model: give it to farmwatch change --model with two "
                             "very-high-resolution RGB images");
  RandomForest m;
  ModelInfo& i = m.impl_->info;
  i.trees = static_cast<int>(h["trees"]);
  i.max_depth = static_cast<int>(h["max_depth"]);
  i.samples = static_cast<std::int64_t>(static_cast<double>(h["samples"]));
  i.labels = static_cast<std::string>(h["labels"]);
  for (const auto& s : h["images"]) i.images.push_back(static_cast<std::string>(s));
  for (const auto& d : h["dates"]) {
    i.layout.bands_per_date.push_back(static_cast<int>(d["bands"]));
    std::array<int, kRoleCount> roles{};
    std::size_t k = 0;
    for (const auto& r : d["roles"])
      if (k < kRoleCount) roles[k++] = static_cast<int>(r);
    i.layout.roles_per_date.push_back(roles);
    i.date_descriptions.push_back(static_cast<std::string>(d["description"]));
    i.date_calibrations.push_back(static_cast<std::string>(d["calibration"]));
  }
  for (const auto& c : h["classes"]) {
    auto text = [&](const char* k) {
      return c[k].empty() ? std::string() : static_cast<std::string>(c[k]);
    };
    i.classes.push_back({static_cast<std::uint8_t>(static_cast<int>(c["code"])), text("name"),
                         text("key"), text("gbt21010"), text("color"),
                         c["observed"].empty() || static_cast<int>(c["observed"]) != 0});
  }
  std::vector<std::string> names;
  for (const auto& s : h["features"]) names.push_back(static_cast<std::string>(s));
  if (names != i.layout.names())
    throw std::runtime_error("model '" + path + "': its feature list does not match its dates");
  m.impl_->forest = detail::read_forest(fs, path);
  return m;
}

void RandomForest::predict(const float* features, std::size_t n, std::uint8_t* codes) const {
  const int f = static_cast<int>(impl_->info.layout.size());
  cv::Mat x(static_cast<int>(n), f, CV_32F, const_cast<float*>(features));
  cv::Mat out;
  impl_->forest->predict(x, out);
  for (std::size_t i = 0; i < n; ++i) {
    const bool observed = features[(i + 1) * f - 1] > 0;  // valid_count: some date saw it
    codes[i] =
        observed ? static_cast<std::uint8_t>(std::lround(out.at<float>(static_cast<int>(i)))) : 255;
  }
}

void RandomForest::predict_votes(const float* features, std::size_t n, ClassVotes* votes) const {
  const int f = static_cast<int>(impl_->info.layout.size());
  cv::Mat x(static_cast<int>(n), f, CV_32F, const_cast<float*>(features));
  cv::Mat v;  // row 0: the class labels; then one row of vote counts per sample
  impl_->forest->getVotes(x, v, 0);
  const int k = v.cols;
  for (std::size_t i = 0; i < n; ++i) {
    ClassVotes& out = votes[i];
    out = ClassVotes{};
    if (!(features[(i + 1) * f - 1] > 0)) continue;  // no date observed it
    const int* row = v.ptr<int>(static_cast<int>(i) + 1);
    const int* labels = v.ptr<int>(0);
    int total = 0, best = -1, runner = -1;
    auto better = [&](int a, int b) {  // column a ranks above column b
      return b < 0 || row[a] > row[b] || (row[a] == row[b] && labels[a] < labels[b]);
    };
    for (int c = 0; c < k; ++c) {
      total += row[c];
      if (better(c, best)) {
        runner = best;
        best = c;
      } else if (better(c, runner)) {
        runner = c;
      }
    }
    if (total <= 0 || best < 0) continue;
    auto pct = [&](int c) {
      return static_cast<std::uint8_t>(std::lround(100.0 * row[c] / total));
    };
    out.first = static_cast<std::uint8_t>(labels[best]);
    out.p_first = pct(best);
    if (runner >= 0 && row[runner] > 0) {
      out.second = static_cast<std::uint8_t>(labels[runner]);
      out.p_second = pct(runner);
    }
  }
}

}  // namespace farmwatch
