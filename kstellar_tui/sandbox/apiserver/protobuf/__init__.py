"""Request bodies in Kubernetes' protobuf encoding, read into the same dicts the JSON path yields.

kubectl's typed commands (`create deployment`, `certificate approve`, `drain`, `debug`, ...) send
`application/vnd.kubernetes.protobuf` and client-go never retries as JSON after a 415, so the sandbox
must read them. Answers stay JSON, which those requests' Accept header allows.
"""

from kstellar_tui.sandbox.apiserver.protobuf.envelope import MEDIA_TYPE, decode_body

__all__ = ["MEDIA_TYPE", "decode_body"]
