from twisted.application.service import ServiceMaker

isso = ServiceMaker("isso-tx", "isso_tx.tap", "Isso-compatible comment server.", "isso")
