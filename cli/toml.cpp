// toml.cpp: TOML text to a cJSON tree, with toml++ (see toml.h for why it is C++).
#include <cstdio>
#include <cstdint>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "toml.h"

namespace {

cJSON *convert(const toml::node &node);

cJSON *convert_table(const toml::table &t) {
    cJSON *obj = cJSON_CreateObject();
    for (auto &&[key, value] : t) {
        cJSON *v = convert(value);
        std::string k(key.str());
        if (!obj || !v || !cJSON_AddItemToObject(obj, k.c_str(), v)) {
            cJSON_Delete(v);
            cJSON_Delete(obj);
            return nullptr;
        }
    }
    return obj;
}

cJSON *convert(const toml::node &node) {
    if (auto t = node.as_table()) return convert_table(*t);
    if (auto a = node.as_array()) {
        cJSON *arr = cJSON_CreateArray();
        for (auto &&elem : *a) {
            cJSON *v = convert(elem);
            if (!arr || !v || !cJSON_AddItemToArray(arr, v)) {
                cJSON_Delete(v);
                cJSON_Delete(arr);
                return nullptr;
            }
        }
        return arr;
    }
    if (auto s = node.as_string()) return cJSON_CreateString(s->get().c_str());
    if (auto i = node.as_integer()) {
        int64_t v = i->get();
        if (v > (INT64_C(1) << 53) || v < -(INT64_C(1) << 53))
            return cJSON_CreateString(std::to_string(v).c_str()); // keeps every digit
        return cJSON_CreateNumber(static_cast<double>(v));
    }
    if (auto f = node.as_floating_point()) return cJSON_CreateNumber(f->get());
    if (auto b = node.as_boolean()) return cJSON_CreateBool(b->get());
    return cJSON_CreateRaw("date-time"); // date, time, date-time
}

} // namespace

extern "C" cJSON *cli_toml_parse(const char *text, size_t len, char *why, size_t n, int *line,
                                 int *col) {
    try {
        toml::table t = toml::parse(std::string_view(text, len));
        cJSON *obj = convert_table(t);
        if (!obj) std::snprintf(why, n, "out of host memory");
        *line = *col = 0;
        return obj;
    } catch (const toml::parse_error &e) {
        std::snprintf(why, n, "%s", std::string(e.description()).c_str());
        *line = static_cast<int>(e.source().begin.line);
        *col = static_cast<int>(e.source().begin.column);
    } catch (const std::exception &e) {
        std::snprintf(why, n, "%s", e.what());
        *line = *col = 0;
    }
    return nullptr;
}
