// Constant: its value becomes a graph-owned constant tensor; no node is added.
#include "onnx/op_importers.h"
#include "onnx/tensor_proto.h"

namespace fennec::onnx_import {

void import_constant(ImportContext& ctx) {
  const onnx::NodeProto& node = ctx.node();
  if (node.attribute_size() != 1) {
    if (node.attribute_size() == 0) ctx.fail("Constant without a value attribute");
    ctx.fail("Constant with " + std::to_string(node.attribute_size()) + " attributes");
  }
  const onnx::AttributeProto& attr = node.attribute(0);
  const std::string& name = attr.name();
  HostTensor value;
  if (name == "value") {
    value = tensor_from_proto(attr.t(), ctx.base_dir(),
                              "Constant '" + ctx.node_label() + "'");
  } else if (name == "value_float") {
    value = HostTensor(DataType::FLOAT32, {});
    value.as<float>()[0] = attr.f();
  } else if (name == "value_floats") {
    value = HostTensor(DataType::FLOAT32, {attr.floats_size()});
    for (int i = 0; i < attr.floats_size(); ++i) value.as<float>()[static_cast<size_t>(i)] = attr.floats(i);
  } else if (name == "value_int") {
    value = HostTensor(DataType::INT64, {});
    value.as<int64_t>()[0] = attr.i();
  } else if (name == "value_ints") {
    value = HostTensor(DataType::INT64, {attr.ints_size()});
    for (int i = 0; i < attr.ints_size(); ++i) value.as<int64_t>()[static_cast<size_t>(i)] = attr.ints(i);
  } else {
    // sparse_value, value_string, value_strings.
    ctx.unsupported_attribute(name, "<" + std::string(onnx::AttributeProto_AttributeType_Name(attr.type())) + ">");
  }
  ctx.add_constant_output(0, value);
}

}  // namespace fennec::onnx_import
