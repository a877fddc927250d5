#include "farmwatch/io/scene_inbox.h"

#include <glob.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>

#include "farmwatch/core/calendar.h"
#include "farmwatch/core/error.h"
#include "farmwatch/io/sensor_profile.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

/// A copy still in progress, or a file the system keeps: left for a later night.
bool ignored(const fs::path& p) {
  const std::string n = p.filename().string();
  return n.empty() || n[0] == '.' || ends_with(n, ".part") || ends_with(n, ".tmp") ||
         ends_with(n, ".crdownload") || ends_with(n, ".aux.xml") || ends_with(n, ".ovr");
}

/// The first YYYYMMDD or YYYY-MM-DD in `text` that is a real calendar date; empty if none.
std::string date_in(const std::string& text) {
  static const std::regex re(R"((19|20)(\d\d)-?(\d\d)-?(\d\d))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    const auto& m = *it;
    const std::string d = m[1].str() + m[2].str() + "-" + m[3].str() + "-" + m[4].str();
    // YYYYMMDD must not be part of a longer run of digits (an orbit or a time).
    const auto pos = static_cast<std::size_t>(m.position(0));
    const auto end = pos + static_cast<std::size_t>(m.length(0));
    const bool digit_before = pos > 0 && std::isdigit(static_cast<unsigned char>(text[pos - 1]));
    const bool digit_after =
        end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]));
    if (!digit_before && !digit_after && valid_date(d)) return d;
  }
  return "";
}

/// Field `n` (0-based) of a name split on '_'.
std::string field(const std::string& name, std::size_t n) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < n; ++i) {
    start = name.find('_', start);
    if (start == std::string::npos) return "";
    ++start;
  }
  return name.substr(start, name.find('_', start) - start);
}

std::string stem_of(std::string name) {
  for (const char* ext : {".tar.gz", ".tgz", ".tar", ".zip", ".SAFE", ".tiff", ".tif"})
    if (ends_with(name, ext)) return name.substr(0, name.size() - std::string(ext).size());
  return name;
}

/// Sentinel-2: S2A_MSIL2A_20240815T030521_N0511_R075_T50SMA_20240815T070000.
std::string sentinel2_date(const std::string& id) { return date_in(field(id, 2).substr(0, 8)); }
/// Landsat Collection 2: LC09_L2SP_121038_20240815_20240816_02_T1 (acquisition, processing).
std::string landsat_date(const std::string& id) { return date_in(field(id, 3)); }

/// Entries of an archive through GDAL's virtual file systems; empty if it cannot be listed.
std::vector<std::string> archive_entries(const std::string& vsi) {
  std::vector<std::string> out;
  CPLErrorReset();
  char** list = VSIReadDirRecursive(vsi.c_str());
  for (char** p = list; p && *p; ++p) out.emplace_back(*p);
  CSLDestroy(list);
  std::sort(out.begin(), out.end());
  return out;
}

std::string vsi_prefix(const SceneCandidate& s) {
  return (s.kind == "sentinel2_zip" ? "/vsizip/" : "/vsitar/") + fs::absolute(s.path).string();
}

void identify_archive(SceneCandidate& s) {
  const auto entries = archive_entries(vsi_prefix(s));
  if (entries.empty()) {
    s.error = "cannot list the archive (cut short, or not a " +
              std::string(s.kind == "sentinel2_zip" ? "zip" : "tar") + " file)";
    return;
  }
  for (const auto& e : entries) {
    if (s.kind == "sentinel2_zip") {
      const auto safe = e.find(".SAFE");
      if (safe == std::string::npos) continue;
      s.product_id = fs::path(e.substr(0, safe)).filename().string();
      s.acquired = sentinel2_date(s.product_id);
      return;
    }
    if (ends_with(e, "_MTL.txt")) {
      const std::string name = fs::path(e).filename().string();
      s.product_id = name.substr(0, name.size() - 8);
      s.acquired = landsat_date(s.product_id);
      return;
    }
  }
  s.error = s.kind == "sentinel2_zip" ? "the zip holds no .SAFE folder"
                                      : "the tar holds no Landsat *_MTL.txt";
}

/// GeoTIFF stack: the date from ACQUISITION_DATE or TIFFTAG_DATETIME, else from the name.
void identify_geotiff(SceneCandidate& s) {
  s.product_id = stem_of(fs::path(s.path).filename().string());
  s.sensor = "GeoTIFF";
  CPLErrorReset();
  DatasetPtr ds(GDALDataset::Open(s.path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (ds) {
    if (const char* sensor = ds->GetMetadataItem("SENSOR"); sensor && *sensor) s.sensor = sensor;
    for (const char* key : {"ACQUISITION_DATE", "TIFFTAG_DATETIME"}) {
      const char* v = ds->GetMetadataItem(key);
      if (!v) continue;
      std::string text = v;
      if (text.size() >= 10 && text[4] == ':' && text[7] == ':') {  // TIFF: YYYY:MM:DD HH:MM:SS
        text[4] = '-';
        text[7] = '-';
      }
      if (const std::string d = date_in(text.substr(0, 10)); !d.empty()) {
        s.acquired = d;
        return;
      }
    }
  }
  s.acquired = date_in(s.product_id);
  if (s.acquired.empty())
    s.error = ds ? "no acquisition date: none in ACQUISITION_DATE or TIFFTAG_DATETIME, and no "
                   "YYYYMMDD or YYYY-MM-DD in the file name"
                 : "not a raster GDAL reads (" + gdal_last_error() + "), and no date in its name";
}

/// Whether `dir` is a scene folder, and which kind; empty if it is a folder to search.
std::string folder_kind(const fs::path& dir, std::string& product_id) {
  const std::string name = dir.filename().string();
  if (ends_with(name, ".SAFE")) {
    product_id = stem_of(name);
    return "sentinel2_safe";
  }
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files)
    if (ends_with(f.filename().string(), "_MTL.txt")) {
      const std::string n = f.filename().string();
      product_id = n.substr(0, n.size() - 8);
      return "landsat";
    }
  for (const auto& f : files) {
    const std::string n = f.filename().string();
    if ((ends_with(n, ".tif") || ends_with(n, ".tiff")) && n.find("PAN") == std::string::npos &&
        !find_gaofen_xml(f.string()).empty()) {
      product_id = name;
      return "gaofen";
    }
  }
  return "";
}

void add_candidate(const fs::path& p, std::vector<SceneCandidate>& out);

void search_folder(const fs::path& dir, std::vector<SceneCandidate>& out) {
  std::string product_id;
  const std::string kind = folder_kind(dir, product_id);
  if (!kind.empty()) {
    SceneCandidate s;
    s.path = dir.string();
    s.kind = kind;
    s.product_id = product_id;
    if (kind == "sentinel2_safe") {
      s.sensor = "Sentinel-2";
      s.acquired = sentinel2_date(product_id);
    } else if (kind == "landsat") {
      s.sensor = "Landsat";
      s.acquired = landsat_date(product_id);
    } else {
      s.sensor = "Gaofen";
      s.acquired = date_in(product_id);
    }
    if (s.acquired.empty()) s.error = "no acquisition date in the product name '" + product_id + "'";
    out.push_back(std::move(s));
    return;
  }
  std::vector<fs::path> entries;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  for (const auto& e : entries) add_candidate(e, out);
}

void add_candidate(const fs::path& p, std::vector<SceneCandidate>& out) {
  if (ignored(p)) return;
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    search_folder(p, out);
    return;
  }
  const std::string name = p.filename().string();
  SceneCandidate s;
  s.path = p.string();
  if (ends_with(name, ".zip")) {
    s.kind = "sentinel2_zip";
    s.sensor = "Sentinel-2";
    identify_archive(s);
  } else if (ends_with(name, ".tar") || ends_with(name, ".tar.gz") || ends_with(name, ".tgz")) {
    s.kind = "landsat_tar";
    s.sensor = "Landsat";
    identify_archive(s);
  } else if (ends_with(name, ".tif") || ends_with(name, ".tiff")) {
    s.kind = "geotiff";
    identify_geotiff(s);
  } else {
    return;  // metadata, checksums, readme files beside scenes
  }
  if (s.product_id.empty()) s.product_id = stem_of(name);
  if (s.error.empty() && s.acquired.empty())
    s.error = "no acquisition date in the product name '" + s.product_id + "'";
  out.push_back(std::move(s));
}

struct DigestDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

void digest_file(EVP_MD_CTX* ctx, const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError("cannot read '" + file.string() + "'");
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw InputError("cannot read '" + file.string() + "'");
}

}  // namespace

std::vector<SceneCandidate> discover_scenes(const std::vector<std::string>& inbox) {
  std::vector<SceneCandidate> out;
  for (const auto& entry : inbox) {
    glob_t g{};
    const int rc = ::glob(entry.c_str(), GLOB_NOSORT, nullptr, &g);
    std::vector<fs::path> matches;
    if (rc == 0)
      for (std::size_t i = 0; i < g.gl_pathc; ++i) matches.emplace_back(g.gl_pathv[i]);
    globfree(&g);
    if (matches.empty()) {
      // A pattern matching nothing is a quiet night; a folder that is not there is a mistake.
      const auto wild = entry.find_first_of("*?[");
      const fs::path fixed =
          wild == std::string::npos ? fs::path(entry) : fs::path(entry.substr(0, wild)).parent_path();
      if (!fs::is_directory(fixed))
        throw ConfigError("inbox '" + entry + "': no such folder '" + fixed.string() + "'");
    }
    std::sort(matches.begin(), matches.end());
    for (const auto& m : matches) add_candidate(m, out);
  }
  for (auto& s : out) {
    {
      try {
        s.checksum = sha256_of_path(s.path);
        std::error_code ec;
        if (fs::is_directory(s.path)) {
          for (const auto& e : fs::recursive_directory_iterator(s.path, ec))
            if (e.is_regular_file()) s.bytes += static_cast<std::int64_t>(e.file_size());
        } else {
          s.bytes = static_cast<std::int64_t>(fs::file_size(s.path, ec));
        }
      } catch (const InputError& e) {
        if (s.error.empty()) s.error = e.what();
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const SceneCandidate& a, const SceneCandidate& b) {
    return std::tie(a.acquired, a.product_id, a.path) < std::tie(b.acquired, b.product_id, b.path);
  });
  return out;
}

std::string sha256_of_path(const fs::path& path) {
  std::unique_ptr<EVP_MD_CTX, DigestDeleter> ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(path, ec))
      if (e.is_regular_file()) files.push_back(e.path());
    if (ec) throw InputError("cannot list '" + path.string() + "': " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      const std::string head = fs::relative(f, path).generic_string() + '\0' +
                               std::to_string(fs::file_size(f)) + '\0';
      EVP_DigestUpdate(ctx.get(), head.data(), head.size());
      digest_file(ctx.get(), f);
    }
  } else {
    digest_file(ctx.get(), path);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  std::string hex;
  char b[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(b, sizeof b, "%02x", md[i]);
    hex += b;
  }
  return hex;
}

std::string readable_scene(const SceneCandidate& scene, const fs::path& scratch) {
  if (scene.kind != "sentinel2_zip" && scene.kind != "landsat_tar") return scene.path;
  const std::string prefix = vsi_prefix(scene);
  const auto entries = archive_entries(prefix);
  if (entries.empty())
    throw InputError("archive '" + scene.path + "': cannot be listed (cut short?)");
  const fs::path root = scratch / scene.product_id;
  fs::remove_all(root);
  std::vector<char> buf(1 << 20);
  for (const auto& e : entries) {
    const std::string src = prefix + "/" + e;
    VSIStatBufL st;
    if (VSIStatL(src.c_str(), &st) != 0 || VSI_ISDIR(st.st_mode)) continue;
    const fs::path dst = root / e;
    fs::create_directories(dst.parent_path());
    VSILFILE* in = VSIFOpenL(src.c_str(), "rb");
    std::ofstream out(dst, std::ios::binary);
    if (!in || !out)
      throw InputError("archive '" + scene.path + "': cannot unpack '" + e + "'");
    std::size_t n = 0, total = 0;
    CPLErrorReset();
    while ((n = VSIFReadL(buf.data(), 1, buf.size(), in)) > 0) {
      out.write(buf.data(), static_cast<std::streamsize>(n));
      total += n;
    }
    VSIFCloseL(in);
    if (total != static_cast<std::size_t>(st.st_size) || !out)
      throw InputError("archive '" + scene.path + "': '" + e + "' is cut short (" +
                       std::to_string(total) + " of " + std::to_string(st.st_size) +
                       " bytes could be read)");
  }
  // The product folder inside: the .SAFE, or the folder holding the MTL.
  for (const auto& e : entries) {
    if (scene.kind == "sentinel2_zip") {
      const auto safe = e.find(".SAFE");
      if (safe != std::string::npos) return (root / e.substr(0, safe + 5)).string();
    } else if (ends_with(e, "_MTL.txt")) {
      return (root / e).parent_path().string();
    }
  }
  throw InputError("archive '" + scene.path + "': holds no product");
}

}  // namespace farmwatch::io
