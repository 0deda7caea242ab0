// Index helpers shared by the 1-D kernels.
// The host lays out `invocations` work items as a 2-D grid of workgroups
// (x up to 65535 groups); this recovers the linear item index.
#ifndef FENNEC_INDEX_GLSL
#define FENNEC_INDEX_GLSL

// The workgroup size as a plain specialization constant (id 1), set by the
// host to the same value as local_size_x (id 0). Shaders use this instead of
// gl_WorkGroupSize: Mesa lavapipe 22.3 evaluates gl_WorkGroupSize.x in
// arithmetic as its unspecialized default (1).
layout(constant_id = 1) const uint kFennecWorkgroupSize = 64u;

uint fennec_linear_index() {
  return gl_GlobalInvocationID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x * kFennecWorkgroupSize;
}

#endif
